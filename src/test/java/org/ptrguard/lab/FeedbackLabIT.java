package org.ptrguard.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;

/**
 * Receiver feedback end to end, each host a network namespace: a sending Postfix guarded by ptrguard
 * in route mode, whose log ({@code maillog_file}) ptrguard follows, delivering to real Postfix
 * receivers that reject the way big providers do, with their exact texts:
 * <ul>
 *   <li>rcvg plays Gmail: an access table answers the sender's smtp-a address with Gmail's
 *       {@code 550 5.7.25} PTR text over IPv4 and with Gmail's IPv6 PTR text ({@code 550 5.7.1 ... IPv6
 *       sending guidelines regarding PTR records}) over IPv6, although both addresses are coherent (the
 *       case ptrguard cannot see: {@code agrees=no});
 *   <li>rcvok is a strict Postfix ({@code reject_unknown_client_hostname}, code 550): it accepts the
 *       coherent addresses and refuses smtp-c's address, which has no PTR, with Postfix's own text.
 * </ul>
 * Each smtp service logs under its own name ({@code -o syslog_name=postfix-labsnd/smtp-a}), which is
 * how the log tells the route. Routes (sender's transport table): g4/g6/a4.example.com by the default transport smtp-a
 * (192.0.2.10 and 2001:db8:10::10, a.example.com); ok.example.com by smtp-b (192.0.2.11,
 * b.example.com, IPv4 only); bad.example.com by smtp-c (192.0.2.12, no PTR, IPv4 only). g4's MX has
 * only an IPv4 address, g6's only an IPv6 one; a4, ok and bad go to rcvok over IPv4.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FeedbackLabIT {
  static final String DNS_V4 = "203.0.113.53";
  static final String A_V4 = "192.0.2.10";
  static final String A_V6 = "2001:db8:10::10";
  static final String B_V4 = "192.0.2.11";
  static final String C_V4 = "192.0.2.12";
  static final String G_V4 = "198.51.100.40";
  static final String G_V6 = "2001:db8:40::40";
  static final String OK_V4 = "198.51.100.41";
  static final String OK_V6 = "2001:db8:41::41";
  static final String FROM = "alice@snd.example.com";
  /** Gmail's texts, as published (support.google.com/a/answer/3726730) and seen in bounces. */
  static final String GMAIL_PTR = "550 5.7.25 The IP address sending this message does not have a PTR record setup, or "
      + "the corresponding forward DNS entry does not match the sending IP. As a policy, Gmail does not accept "
      + "messages from IPs with missing PTR records.";
  static final String GMAIL_IPV6 = "550 5.7.1 [" + A_V6 + "] Our system has detected that this message does not meet "
      + "IPv6 sending guidelines regarding PTR records and authentication.";
  static final int METRICS_PORT = 9894; // the sender's namespace is fresh: nothing else holds it
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  static MailLab lab;
  static PrivatePostfix gmail;
  static PrivatePostfix strict;
  static PrivatePostfix sender;

  @BeforeAll
  static void startLab() throws Exception {
    Commands.require("curl", "curl");
    lab = MailLab.start("feedback", DNS_V4, List.of(
        new LabNetwork.Host("snd", "", A_V4, A_V6, List.of(B_V4, C_V4)),
        new LabNetwork.Host("rcvg", "", G_V4, G_V6),
        new LabNetwork.Host("rcvok", "", OK_V4, OK_V6)), zones());
    gmail = startGmail();
    strict = startStrict();
    sender = startSender();
  }

  @AfterAll
  static void stopLab() throws Exception {
    MailLab.close(lab);
  }

  @AfterEach
  void cleanSlate() throws Exception {
    lab.cleanSlate();
  }

  // ---------------------------------------------------------------- the lab

  /** smtp-a and smtp-b coherent in both directions; smtp-c's address has no PTR. */
  static LabDns.Zones zones() {
    return LabDns.Zones.empty()
        .address("a", A_V4).address("a", A_V6).ptr(A_V4, "a.example.com").ptr(A_V6, "a.example.com")
        .address("b", B_V4).ptr(B_V4, "b.example.com")
        .address("c", C_V4)
        .address("mxg4", G_V4).address("mxg6", G_V6).ptr(G_V4, "mxg4.example.com").ptr(G_V6, "mxg6.example.com")
        .address("mxok", OK_V4).ptr(OK_V4, "mxok.example.com")
        .mx("g4", "mxg4").mx("g6", "mxg6").mx("a4", "mxok").mx("ok", "mxok").mx("bad", "mxok");
  }

  /** The Gmail-like receiver: its access table answers smtp-a's addresses with Gmail's texts. */
  private static PrivatePostfix startGmail() throws IOException {
    Path access = lab.dir().resolve("gmail-access");
    Files.writeString(access, A_V4 + " " + GMAIL_PTR + "\n" + A_V6 + " " + GMAIL_IPV6 + "\n");
    return lab.started(lab.mailboxes(lab.postfix("gmail", "rcvg")
        .listenOn(G_V4).listenOnIpv6(G_V6).myhostname("mxg4.example.com"), "rcvg-mail", "g4.example.com g6.example.com")
        .parameter("smtpd_client_restrictions", "check_client_access texthash:" + access)
        .masterCfLine(G_V4 + ":25 inet n - n - - smtpd")
        .masterCfLine("[" + G_V6 + "]:25 inet n - n - - smtpd"));
  }

  /** A strict Postfix receiver: forward-confirmed reverse DNS or 550. */
  private static PrivatePostfix startStrict() throws IOException {
    return lab.started(lab.mailboxes(lab.postfix("strict", "rcvok")
        .listenOn(OK_V4).myhostname("mxok.example.com"), "rcvok-mail", "a4.example.com ok.example.com bad.example.com")
        .parameter("smtpd_client_restrictions", "reject_unknown_client_hostname")
        .parameter("unknown_client_reject_code", "550")
        .masterCfLine(OK_V4 + ":25 inet n - n - - smtpd"));
  }

  /**
   * The sender: submission guarded by ptrguard (milter_default_action = tempfail: a missing ptrguard
   * fails the test instead of hiding), three smtp services with their own source addresses. The
   * IPv4-only services also get an IPv4-only inet_interfaces: with inet_protocols = ipv4, main.cf's
   * IPv6 listen address is "host not found" to them and every smtp process would exit at start
   * ("fatal: config variable inet_interfaces"), leaving their mail in the active queue without a delivery line.
   */
  private static PrivatePostfix startSender() throws IOException {
    return lab.started(lab.mailboxes(lab.postfix("snd", "snd")
        .listenOn(A_V4).listenOnIpv6(A_V6).myhostname("a.example.com"), "snd-mail", "snd.example.com")
        .parameter("default_transport", "smtp-a")
        .parameter("transport_maps", "inline:{ ok.example.com=smtp-b:, bad.example.com=smtp-c: }")
        .parameter("defer_transports", "")
        .masterCfLine("smtp-a    unix  -       -       n       -       -       smtp\n  -o smtp_bind_address=" + A_V4
            + "\n  -o smtp_bind_address6=" + A_V6 + "\n  -o smtp_helo_name=a.example.com\n  -o syslog_name=postfix-labsnd/smtp-a")
        .masterCfLine("smtp-b    unix  -       -       n       -       -       smtp\n  -o smtp_bind_address=" + B_V4
            + "\n  -o smtp_helo_name=b.example.com\n  -o syslog_name=postfix-labsnd/smtp-b\n  -o inet_protocols=ipv4\n  -o inet_interfaces=" + A_V4)
        .masterCfLine("smtp-c    unix  -       -       n       -       -       smtp\n  -o smtp_bind_address=" + C_V4
            + "\n  -o smtp_helo_name=c.example.com\n  -o syslog_name=postfix-labsnd/smtp-c\n  -o inet_protocols=ipv4\n  -o inet_interfaces=" + A_V4)
        .smtpdListener("submission", "-o", "smtpd_milters=inet:127.0.0.1:" + LabGuard.MILTER_PORT,
            "-o", "milter_default_action=tempfail"));
  }

  // ---------------------------------------------------------------- ptrguard

  static void startGuard(String settings) throws Exception {
    startGuard(settings, List.of());
  }

  /** As above, with {@code prefix} before java in the sender's namespace. */
  static void startGuard(String settings, List<String> prefix) throws Exception {
    lab.startGuard("snd", """
        listen = ["inet:127.0.0.1:%d"]
        metrics.listen = "127.0.0.1:%d"
        dns { resolvers = ["%s"], timeout = 1s, check-budget = 4s }
        refresh { min = 1s, max = 1s }
        routes { enabled = yes, postfix-config = "%s" }
        feedback.source = "file:%s"
        %s
        """.formatted(LabGuard.MILTER_PORT, METRICS_PORT, DNS_V4, sender.configDir(),
        sender.baseDir().resolve("log/maillog"), settings), prefix);
    // Every route identity checked (smtp-c's fails) and the log followed before the first message.
    lab.guard().awaitLog("event=route-identity ip=" + C_V4, TIMEOUT);
    lab.guard().awaitLog("event=feedback-following", TIMEOUT);
  }

  static MultiSubmission submit(String subject, String... recipients) {
    return lab.submit("snd", sender, FROM, subject, List.of(recipients));
  }

  /** ptrguard's receiver-rejection line for that message. */
  static String rejection(String queueId) throws InterruptedException {
    try {
      return lab.guard().awaitLog("event=receiver-rejection", l -> l.contains("queue-id=" + queueId + " "), TIMEOUT);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n--- sender's log about " + queueId + " ---\n"
          + String.join("\n", sender.logLinesSince(new PrivatePostfix.LogMark(0), queueId + "|fatal|warning")), e);
    }
  }

  static String metrics() {
    ProcessResult r = Commands.run(TIMEOUT, lab.network().host("snd").exec("curl", "-sS", "http://127.0.0.1:" + METRICS_PORT
        + "/metrics"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    return r.stdout();
  }

  static double series(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
    assertThat(m.find()).as("no " + series + " in\n" + metrics).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static String queued(MultiSubmission s) {
    assertThat(s.rcptReplies().values()).as(s.transcript()).allMatch(r -> r.startsWith("250"));
    return s.queueId().orElseThrow(() -> new AssertionError(s.transcript()));
  }

  // ---------------------------------------------------------------- scenarios

  /**
   * Audit: each rejection is one warning line naming route, identity, family and receiver, set
   * against ptrguard's verdict for that message: agrees=no where ptrguard said pass (Gmail refusing
   * coherent addresses). Mail the strict receiver accepted is nobody's business.
   */
  @Test
  @Order(1)
  void eachRejectionIsAttributedToItsRouteIdentityAndFamily() throws Exception {
    startGuard("mode = audit\nfeedback.enforce = false");
    String before = metrics();
    assertThat(series(before, "ptrguard_receiver_rejections_total{identity=\"smtp-a\",family=\"ipv4\",class=\"fcrdns\"}"))
        .isZero();
    PrivatePostfix.LogMark mark = sender.mark();
    String g4 = queued(submit("g4", "u@g4.example.com"));
    String g6 = queued(submit("g6", "u@g6.example.com"));
    queued(submit("ok", "u@ok.example.com", "u@a4.example.com"));

    String v4 = rejection(g4);
    assertThat(v4).contains("level=warn").contains("identity=smtp-a route=smtp-a family=ipv4 ip=" + A_V4)
        .contains("receiver=mxg4.example.com[" + G_V4 + "] domain=g4.example.com status=bounced code=550 dsn=5.7.25")
        .contains("class=fcrdns").contains("ptrguard-verdict=pass agrees=no")
        .contains("The IP address sending this message does not have a PTR record setup");
    String v6 = rejection(g6);
    assertThat(v6).contains("identity=smtp-a route=smtp-a family=ipv6 ip=" + A_V6)
        .contains("receiver=mxg6.example.com[" + G_V6 + "] domain=g6.example.com status=bounced code=550 dsn=5.7.1")
        .contains("class=ipv6-ptr").contains("ptrguard-verdict=pass agrees=no");
    // What Postfix logged is what ptrguard reported; the strict receiver took the coherent routes' mail.
    sender.waitForLog(mark, "to=<u@ok\\.example\\.com>.*status=sent", TIMEOUT);
    sender.waitForLog(mark, "to=<u@a4\\.example\\.com>.*status=sent", TIMEOUT);
    assertThat(sender.logLinesSince(mark, "status=bounced")).hasSize(2);
    assertThat(lab.guard().lines("event=receiver-rejection")).hasSize(2);
    assertThat(lab.guard().lines("event=receiver-hold")).as("feedback.enforce is off").isEmpty();

    String after = metrics();
    assertThat(series(after, "ptrguard_receiver_rejections_total{identity=\"smtp-a\",family=\"ipv4\",class=\"fcrdns\"}")).isEqualTo(1);
    assertThat(series(after, "ptrguard_receiver_rejections_total{identity=\"smtp-a\",family=\"ipv6\",class=\"ipv6-ptr\"}")).isEqualTo(1);
    assertThat(series(after, "ptrguard_receiver_rejections_total{identity=\"smtp-c\",family=\"ipv4\",class=\"fcrdns\"}")).isZero();
    assertThat(series(after, "ptrguard_receiver_rejections_total{identity=\"smtp-b\",family=\"ipv4\",class=\"fcrdns\"}")).isZero();
    assertThat(series(after, "ptrguard_receiver_rejection_last_timestamp_seconds{identity=\"smtp-a\"}"))
        .isGreaterThan(1_000_000_000);
    Files.writeString(lab.dir().resolve("example-line.txt"), v4 + "\n");
  }

  /**
   * feedback.enforce: Gmail's refusal over IPv4 holds smtp-a's IPv4 identity, so the next message on
   * that route is tempfailed with the receiver's text, while another route (smtp-b) and smtp-a's IPv6
   * identity carry on.
   */
  @Test
  @Order(2)
  void enforceTempfailsTheNextMessageOnThatRouteAndLetsOtherRoutesThrough() throws Exception {
    startGuard("mode = enforce\nfeedback { enforce = true, hold-for = 1h }");
    String first = queued(submit("first", "u@g4.example.com"));
    assertThat(rejection(first)).contains("route=smtp-a family=ipv4").contains("agrees=no");
    assertThat(lab.guard().awaitLog("event=receiver-hold ", TIMEOUT)).contains("identity=smtp-a ip=" + A_V4 + " family=ipv4");

    MultiSubmission next = submit("next", "v@g4.example.com", "v@a4.example.com", "v@ok.example.com");
    assertThat(next.reply("v@g4.example.com")).startsWith("451 4.7.25").contains(A_V4)
        .contains("receiver mxg4.example.com[" + G_V4 + "] rejected mail from " + A_V4 + ": 550 5.7.25");
    assertThat(next.reply("v@a4.example.com")).as("same route and family, another receiver").startsWith("451 4.7.25");
    assertThat(next.reply("v@ok.example.com")).as("another route").startsWith("250");
    queued(new MultiSubmission(next.subject(), next.result(), java.util.Map.of("ok", next.reply("v@ok.example.com")),
        next.queueId()));

    // Only smtp-a's IPv4 identity is held: once ptrguard knows g6's MX has IPv6 only (it looks that up
    // in the background when a route is broken), mail to it passes while g4's is still refused.
    MultiSubmission both = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int i = 0; System.nanoTime() < deadline; i++) {
      both = submit("both-" + i, i + "w@g4.example.com", i + "w@g6.example.com");
      if (both.reply(i + "w@g6.example.com").startsWith("250")) {
        assertThat(both.reply(i + "w@g4.example.com")).startsWith("451 4.7.25");
        break;
      }
      Thread.sleep(1000);
    }
    assertThat(both.rcptReplies().values()).as(both.transcript()).anyMatch(r -> r.startsWith("250"));
    assertThat(lab.guard().lines("action=tempfail")).isNotEmpty()
        .allSatisfy(l -> assertThat(l).contains("codes=receiver.rejected"));
  }

  /**
   * agrees=yes: ptrguard judged smtp-c's address fail (no PTR) and, in audit mode, let the mail go;
   * the strict Postfix receiver refused it for the same reason, and the event says they agree, with
   * ptrguard's verdict for that very message (by queue ID).
   */
  @Test
  @Order(3)
  void aStrictReceiverRefusingAnIdentityPtrguardJudgedFailAgrees() throws Exception {
    startGuard("mode = audit\nfeedback.enforce = false");
    PrivatePostfix.LogMark mark = sender.mark();
    String bad = queued(submit("bad", "u@bad.example.com"));
    String line = rejection(bad);
    assertThat(line).contains("level=warn").contains("identity=smtp-c route=smtp-c family=ipv4 ip=" + C_V4)
        .contains("receiver=mxok.example.com[" + OK_V4 + "] domain=bad.example.com")
        .contains("Client host rejected: cannot find your hostname, [" + C_V4 + "]")
        .contains("ptrguard-verdict=fail agrees=yes verdict-from=queue-id");
    assertThat(sender.logLinesSince(mark, bad + ": to=<u@bad.example.com>.*status=bounced .*550 5.7.25")).hasSize(1);
    assertThat(lab.guard().lines("would=tempfail")).as("audit: ptrguard would have stopped it").isNotEmpty();
  }

  /**
   * The journal as the source: Postfix's real lines of this run, copied into a journal file by
   * systemd-journal-remote, which ptrguard (feedback.source = journal) reads through the real
   * journalctl as this machine's journal. No journald is needed, so this runs on CI machines
   * without one; it is skipped, saying why, only without systemd-journal-remote or /etc/machine-id.
   * An entry already in the journal when ptrguard starts is history and is not reported.
   */
  @Test
  @Order(4)
  void theJournalAsSourceReportsTheSameRejection() throws Exception {
    Optional<String> unavailable = LabJournal.unavailable();
    Assumptions.assumeTrue(unavailable.isEmpty(), () -> "no lab journal: " + unavailable.orElse(""));
    LabJournal journal = LabJournal.create(lab.dir().resolve("journal"));
    PrivatePostfix.LogMark mark = sender.mark();
    // History: a bounce logged before ptrguard starts (smtp-c to the strict receiver, ptrguard not running).
    journal.append(bouncedWithoutGuard(mark, "u@bad.example.com"));

    startGuard("mode = audit\nfeedback { source = journal, enforce = false }", journal.prefix());
    assertThat(lab.guard().lines("event=feedback-following")).singleElement().asString().contains("source=journal");
    String bad = queued(submit("journal", "v@bad.example.com"));
    journal.append(sender.waitForLog(mark, bad + ": to=<v@bad\\.example\\.com>.*status=bounced", TIMEOUT));
    assertThat(rejection(bad)).contains("identity=smtp-c route=smtp-c family=ipv4 ip=" + C_V4)
        .contains("receiver=mxok.example.com[" + OK_V4 + "] domain=bad.example.com")
        .contains("ptrguard-verdict=fail agrees=yes verdict-from=queue-id");
    Thread.sleep(500); // anything else journalctl would hand over has arrived by now
    assertThat(lab.guard().lines("event=receiver-rejection")).as("the history entry is not replayed")
        .singleElement().asString().contains("queue-id=" + bad + " ");
  }

  /**
   * Sends through sendmail(1) without ptrguard running (no milter on that path) and returns the
   * sender's bounce line for it.
   */
  private static String bouncedWithoutGuard(PrivatePostfix.LogMark mark, String rcpt) {
    ProcessResult r = sender.sendmail(FROM, List.of(rcpt), "Subject: history\n\nbefore ptrguard started\n");
    assertThat(r.ok()).as(r.describe()).isTrue();
    return sender.waitForLog(mark, "to=<" + Pattern.quote(rcpt) + ">.*status=bounced", TIMEOUT);
  }
}
