package org.ptrguard.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.identity.ReceiverLab;
import org.ptrguard.identity.ReceiverRule;
import org.ptrguard.identity.ReceiverVerdict;
import org.ptrguard.net.Addresses;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.TestFiles;

/**
 * The matrix's Postfix rows against a real Postfix receiver. Every labelled identity of the shared list
 * ({@code receivers/identities.tsv}, as the SpamAssassin and rspamd validation uses it) plus the
 * the identities only this validation uses ({@code receivers/identities-postfix-extra.tsv}: address
 * literals and other EHLO forms only Postfix tells apart) connects from
 * its own address, added to a sender namespace, and says EHLO with its own name; the receiver's resolver
 * is the lab's Unbound, serving the zone files ptrguard's check of the same identities was served from
 * (and answering SERVFAIL, or nothing, where the list says so).
 *
 * <p>The receiver has smtpd listeners with the five restrictions of the Postfix profile: on {@code smtp}
 * (default reply codes) each is preceded by {@code warn_if_reject}, so the log carries every rule's own
 * outcome ({@code reject_warning: ... CODE X.Y.Z text}) and the mail is accepted; {@code code550} is the
 * same with {@code unknown_client_reject_code = 550} (the rows' note); on {@code strict} they refuse, and
 * the client sees the first refusal. All are compared with what ReceiverMatrix predicts; the agreement
 * tables are printed and written to target/receiver-matrix-agreement-postfix*.txt, next to the
 * SpamAssassin and rspamd tables.
 */
class PostfixReceiversLabIT {
  static final String DNS_V4 = "203.0.113.53";
  static final String SND_V4 = "198.51.100.200";
  static final String SND_V6 = "2001:db8:200::200";
  static final String RCV_V4 = "203.0.113.225";
  static final String RCV_V6 = "2001:db8:225::25";
  static final String EXTRA = "/receivers/identities-postfix-extra.tsv";
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  /**
   * The Postfix profile's restrictions in the order the receiver evaluates them (client restrictions,
   * then HELO restrictions, all at RCPT with smtpd_delay_reject = yes), each with the text that only its
   * refusal carries (Postfix's smtpd_check.c), to attribute a reject_warning line to its rule.
   */
  static final Map<String, String> RESTRICTIONS = new LinkedHashMap<>();

  static {
    RESTRICTIONS.put("reject_unknown_reverse_client_hostname", "Client host rejected: cannot find your reverse hostname");
    RESTRICTIONS.put("reject_unknown_client_hostname", "Client host rejected: cannot find your hostname");
    RESTRICTIONS.put("reject_non_fqdn_helo_hostname", "Helo command rejected: need fully-qualified hostname");
    RESTRICTIONS.put("reject_invalid_helo_hostname", "Helo command rejected: Invalid name");
    RESTRICTIONS.put("reject_unknown_helo_hostname", "Helo command rejected: Host not found");
  }

  private static Path dir;
  private static ReceiverLab lab;
  private static List<ReceiverLab.Judged> judged;
  private static LabNetwork network;
  private static LabDns dns;
  private static PrivatePostfix receiver;

  @BeforeAll
  static void startLab() throws Exception {
    Commands.require("postfix", "postfix");
    dir = Files.createTempDirectory("ptrguard-pfmatrix-lab-");
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    List<ReceiverLab.Row> rows = new ArrayList<>(ReceiverLab.rows(ReceiverLab.IDENTITIES));
    rows.addAll(ReceiverLab.rows(EXTRA));
    lab = ReceiverLab.start(Files.createDirectories(dir.resolve("zones")), rows);
    judged = lab.judgeAll();

    network = LabNetwork.create(DNS_V4, List.of(new LabNetwork.Host("snd", "", SND_V4, SND_V6),
        new LabNetwork.Host("rcv", "", RCV_V4, RCV_V6)));
    network.addAddresses("snd", rows.stream().map(ReceiverLab.Row::ip).toList());
    Map<String, LabDns.Failure> failures = new LinkedHashMap<>();
    lab.faults().forEach((name, fault) -> failures.put(name, switch (fault) {
      case SERVFAIL -> LabDns.Failure.SERVFAIL;
      case DROP -> LabDns.Failure.TIMEOUT;
      default -> throw new IllegalArgumentException("no lab DNS failure for " + fault);
    }));
    dns = LabDns.serve(network.host("dns"), dir.resolve("dns"), lab.zoneFiles(), failures);

    List<String> client = RESTRICTIONS.keySet().stream().limit(2).toList();
    List<String> helo = RESTRICTIONS.keySet().stream().skip(2).toList();
    receiver = PrivatePostfix.builder("pfrcv").inNetworkNamespace(network.host("rcv").namespace())
        .listenOn(RCV_V4).listenOnIpv6(RCV_V6).myhostname("mx.example.org")
        .parameter("relay_domains", "example.org")
        .parameter("smtpd_helo_required", "yes")
        .parameter("smtpd_client_restrictions", warnIfReject(client))
        .parameter("smtpd_helo_restrictions", warnIfReject(helo))
        .smtpdListener("code550", "-o", "syslog_name=postfix-pfrcv-550", "-o", "unknown_client_reject_code=550")
        .smtpdListener("strict", "-o", "syslog_name=postfix-pfrcv-strict",
            "-o", "smtpd_client_restrictions=" + String.join(",", client),
            "-o", "smtpd_helo_restrictions=" + String.join(",", helo))
        .build().start();
  }

  private static String warnIfReject(List<String> restrictions) {
    return String.join(", ", restrictions.stream().map(r -> "warn_if_reject " + r).toList());
  }

  @AfterAll
  static void stopLab() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {receiver, dns, network, lab}) {
      if (c != null) {
        c.close();
      }
    }
    if (dir != null && System.getProperty("ptrguard.keepLab") == null) {
      TestFiles.deleteTree(dir);
    }
  }

  // ---------------------------------------------------------------- per rule (warn_if_reject)

  @Test
  void eachPostfixRuleDoesWhatTheMatrixPredicts() throws Exception {
    perRule(receiver.smtpPort(), "postfix-pfrcv", false, "postfix", "default reply codes");
    // every rule of the Postfix profile is exercised by some identity, the temporary 450 included
    List<String> unexercised = new ArrayList<>();
    for (ReceiverRule rule : judged.get(0).profile("postfix").profile().rules()) {
      if (judged.stream().noneMatch(j -> j.profile("postfix").fired().stream().anyMatch(f -> f.rule().equals(rule)))) {
        unexercised.add(rule.name());
      }
    }
    assertThat(unexercised).as("rules of the postfix profile that no labelled identity fires").isEmpty();
  }

  /**
   * The rows' note: a receiver with {@code unknown_client_reject_code = 550} refuses permanently where the
   * row says 450, except after a temporary DNS failure, which stays 450 whatever the code setting.
   */
  @Test
  void withUnknownClientRejectCode550OnlyTheTemporaryFailuresStay450() throws Exception {
    perRule(receiver.listenerPort("code550"), "postfix-pfrcv-550", true, "postfix-550", "unknown_client_reject_code = 550");
  }

  /**
   * One session per identity to a listener whose restrictions are each behind warn_if_reject; compares
   * each restriction's logged outcome with the matrix's, prints and writes the table, fails on a difference.
   */
  private static void perRule(int port, String syslogName, boolean code550, String reportName, String codes) throws Exception {
    PrivatePostfix.LogMark mark = receiver.mark();
    Map<String, LabSmtpSessions.Outcome> sessions = sessions(port);
    Map<String, String> logs = awaitDisconnects(mark, syslogName);
    List<String> lines = new ArrayList<>();
    List<String> disagree = new ArrayList<>();
    Map<String, Integer> agreePerRule = new LinkedHashMap<>();
    RESTRICTIONS.keySet().forEach(r -> agreePerRule.put(r, 0));
    int agreeAll = 0;
    for (ReceiverLab.Judged j : judged) {
      String label = j.row().label();
      LabSmtpSessions.Outcome session = sessions.get(label);
      // warn_if_reject only logs: every session must end in an accepted RCPT, or the log is not the whole story
      assertThat(session).as(label).isNotNull();
      assertThat(session.stage() + " " + session.code()).as(label + ": " + session).isEqualTo("RCPT 250");
      Map<String, String> seen = warnings(label, logs.get(label));
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-28s", label));
      boolean all = true;
      for (String restriction : RESTRICTIONS.keySet()) {
        String predicted = predicted(j, restriction, code550).orElse("accept");
        String actual = seen.getOrDefault(restriction, "accept");
        boolean same = predicted.equals(actual);
        if (same) {
          agreePerRule.merge(restriction, 1, Integer::sum);
        } else {
          all = false;
          disagree.add(label + " " + restriction + ": matrix " + predicted + " | postfix " + actual);
        }
        row.append(same ? "  agree " : "  DIFF  ").append(abbreviation(restriction)).append('=').append(actual);
      }
      if (all) {
        agreeAll++;
      }
      lines.add(row.toString());
    }
    StringBuilder table = new StringBuilder();
    table.append(reportName).append(": ").append(agreeAll).append(" of ").append(judged.size())
        .append(" identities agree on all five rules (Debian Postfix ").append(mailVersion()).append(", ").append(codes)
        .append(", each rule behind warn_if_reject; resolver: Unbound serving the lab zones)\n");
    agreePerRule.forEach((r, n) -> table.append("  ").append(r).append(": ").append(n).append(" of ").append(judged.size())
        .append(" agree\n"));
    table.append(String.join("\n", lines)).append('\n');
    if (!disagree.isEmpty()) {
      table.append("disagreements:\n  ").append(String.join("\n  ", disagree)).append('\n');
    }
    report(reportName, table.toString());
    assertThat(disagree).as(table.toString()).isEmpty();
  }

  // ---------------------------------------------------------------- the reply the client gets

  @Test
  void theStrictReceiverAnswersWithTheFirstPredictedRefusal() throws Exception {
    PrivatePostfix.LogMark mark = receiver.mark();
    Map<String, LabSmtpSessions.Outcome> sessions = sessions(receiver.listenerPort("strict"));
    awaitDisconnects(mark, "postfix-pfrcv-strict");
    List<String> lines = new ArrayList<>();
    List<String> disagree = new ArrayList<>();
    for (ReceiverLab.Judged j : judged) {
      String label = j.row().label();
      LabSmtpSessions.Outcome s = sessions.get(label);
      assertThat(s).as(label).isNotNull();
      String actual = s.code() == 250 ? "accept" : s.code() + " " + s.enhanced() + " " + s.message();
      // the first restriction (in evaluation order) that the matrix says refuses, or accept
      String predicted = RESTRICTIONS.keySet().stream().map(r -> predicted(j, r)).flatMap(Optional::stream)
          .findFirst().orElse("accept");
      boolean same = predicted.equals(actual) && (s.code() == 250 || s.stage().equals("RCPT"));
      if (!same) {
        disagree.add(label + ": matrix " + predicted + " | postfix (" + s.stage() + ") " + actual);
      }
      lines.add(String.format(Locale.ROOT, "%-28s %-5s %s", label, same ? "agree" : "DIFF", actual));
    }
    String table = "postfix (strict listener, the reply the client gets): " + (judged.size() - disagree.size()) + " of "
        + judged.size() + " identities agree\n" + String.join("\n", lines) + "\n"
        + (disagree.isEmpty() ? "" : "disagreements:\n  " + String.join("\n  ", disagree) + "\n");
    report("postfix-strict", table);
    assertThat(disagree).as(table).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  /** One session per identity from its own address and EHLO name to the receiver's {@code port}. */
  private static Map<String, LabSmtpSessions.Outcome> sessions(int port) throws Exception {
    List<LabSmtpSessions.Session> sessions = new ArrayList<>();
    for (ReceiverLab.Judged j : judged) {
      ReceiverLab.Row r = j.row();
      sessions.add(new LabSmtpSessions.Session(r.label(), r.ip(), r.ipv6() ? RCV_V6 : RCV_V4, port, r.ehlo()));
    }
    return LabSmtpSessions.run(network.host("snd"), sessions, TIMEOUT);
  }

  /**
   * Waits (bounded, ending as soon as all are there) for every identity's "disconnect from" line of the
   * listener tagged {@code syslogName}; returns each identity's log lines of that listener.
   */
  private static Map<String, String> awaitDisconnects(PrivatePostfix.LogMark mark, String syslogName) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      String log = receiver.maillogSince(mark);
      Map<String, String> byLabel = new LinkedHashMap<>();
      List<String> missing = new ArrayList<>();
      for (ReceiverLab.Judged j : judged) {
        Pattern mine = Pattern.compile(" " + Pattern.quote(syslogName) + "/smtpd\\[\\d+\\]: .*\\[" + Pattern.quote(address(j)) + "\\]");
        List<String> own = log.lines().filter(l -> mine.matcher(l).find()).toList();
        if (own.stream().noneMatch(l -> l.contains(": disconnect from "))) {
          missing.add(j.row().label());
        }
        byLabel.put(j.row().label(), String.join("\n", own));
      }
      if (missing.isEmpty()) {
        return byLabel;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no disconnect logged for " + missing + " within " + TIMEOUT + "\n--- maillog ---\n"
            + receiver.maillogSince(mark));
      }
      Thread.sleep(100);
    }
  }

  private static final Pattern WARNING = Pattern.compile(
      "NOQUEUE: reject_warning: RCPT from [^\\[]*\\[[^\\]]+\\]: (\\d{3}) ([245]\\.\\d{1,3}\\.\\d{1,3}) (.*?); from=<");

  /** The reject_warning lines of one session, by the restriction whose refusal text each carries. */
  private static Map<String, String> warnings(String label, String log) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : log.lines().toList()) {
      Matcher m = WARNING.matcher(line);
      if (!m.find()) {
        continue;
      }
      String text = m.group(3);
      String restriction = RESTRICTIONS.entrySet().stream().filter(e -> text.contains(e.getValue())).map(Map.Entry::getKey)
          .findFirst().orElseThrow(() -> new AssertionError(label + ": a reject_warning no rule of the profile explains: " + line));
      String outcome = m.group(1) + " " + m.group(2) + " " + text;
      String before = out.put(restriction, outcome);
      assertThat(before).as(label + ": " + restriction + " logged twice:\n" + log).isNull();
    }
    return out;
  }

  /**
   * What the matrix says {@code restriction} answers this identity: "CODE X.Y.Z reply" for a firing rule
   * of the Postfix profile (the rule's name starts with the restriction's), empty for accept.
   */
  private static Optional<String> predicted(ReceiverLab.Judged j, String restriction) {
    return predicted(j, restriction, false);
  }

  /**
   * @param code550 as a receiver with unknown_client_reject_code = 550 answers: the client rules' 450
   *     becomes 550 (enhanced status 5.x.x) unless the rule is about a temporary lookup failure
   */
  private static Optional<String> predicted(ReceiverLab.Judged j, String restriction, boolean code550) {
    List<String> out = new ArrayList<>();
    for (ReceiverVerdict.Fired f : j.profile("postfix").fired()) {
      if (f.rule().name().split(" ")[0].equals(restriction)) {
        String code = f.rule().outcome().code();
        if (code550 && restriction.matches("reject_unknown_(reverse_)?client_hostname")
            && f.rule().when().temporaryLookup().isEmpty()) {
          code = "550 5" + code.substring(code.indexOf(' ') + 2);
        }
        out.add(code + " " + f.reply().orElse("(no reply text)"));
      }
    }
    assertThat(out).as(j.row().label() + ": more than one rule of " + restriction + " fires").hasSizeLessThan(2);
    return out.stream().findFirst();
  }

  private static String address(ReceiverLab.Judged j) throws Exception {
    return Addresses.text(InetAddress.getByName(j.row().ip()));
  }

  private static String abbreviation(String restriction) {
    return restriction.replace("reject_", "").replace("_hostname", "").replace("unknown_", "unk_");
  }

  private static String mailVersion() {
    return Commands.runOk(Duration.ofSeconds(20), List.of("postconf", "-h", "-d", "mail_version")).stdout().strip();
  }

  private static void report(String name, String table) throws Exception {
    System.out.println(table);
    Files.writeString(Path.of("target", "receiver-matrix-agreement-" + name + ".txt"), table);
  }
}
