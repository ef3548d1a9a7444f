package org.ptrguard.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;

/**
 * Routes end to end, each host a network namespace: a sending Postfix with two source addresses on
 * two master.cf services ({@code smtp-a} from 192.0.2.10 with a coherent PTR, {@code smtp-b} from
 * 192.0.2.11 with none), a relay host, two receiving Postfix instances that record the address and
 * EHLO name they saw (their Received header and log), and the lab's Unbound. Recipient domains pick
 * the route through the sender's transport table (hash, rebuilt with postmap):
 * <ul>
 *   <li>good.example.com: default transport smtp-a, MX mx1 (direct, healthy)
 *   <li>bad.example.com: smtp-b, MX mx2 (direct, broken)
 *   <li>viarelay.example.com: smtp-b to [relay] (relayed: receivers see the relay)
 *   <li>snd.example.com: the sender's own virtual mailbox (local)
 *   <li>v4.example.com, v6.example.com: smtp-v6 (IPv4 192.0.2.10 healthy, IPv6 2001:db8:10::10 without
 *       PTR); v4's MX has only IPv4, v6's also IPv6
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RoutesLabIT {
  static final String DNS_V4 = "203.0.113.53";
  static final String GOOD_V4 = "192.0.2.10";
  static final String BAD_V4 = "192.0.2.11";
  static final String RELAY_V4 = "198.51.100.30";
  static final String MX1_V4 = "198.51.100.20";
  static final String MX2_V4 = "198.51.100.21";
  static final String MAIL = "mail.example.com";
  static final String BEHLO = "b.example.com";
  static final String RELAY = "relay.example.com";
  static final String FROM = "alice@snd.example.com";
  static final String GOOD = "good@good.example.com";
  static final String BAD = "bad@bad.example.com";
  static final String VIA = "via@viarelay.example.com";
  static final String LOCAL = "postmaster@snd.example.com";
  static final String MOVED = "moved@moved.example.com";
  static final String BAD_V6 = "2001:db8:10::10";
  static final String V4ONLY = "v4@v4.example.com";
  static final String V6MX = "v6@v6.example.com";
  private static final Duration TIMEOUT = Duration.ofSeconds(40);
  private static final Pattern RECEIVED = Pattern.compile("Received: from (\\S+) \\((\\S+) \\[([0-9a-f.:]+)\\]\\)");

  static MailLab lab;
  static PrivatePostfix rcv1;
  static PrivatePostfix rcv2;
  static PrivatePostfix relay;
  static PrivatePostfix sender;
  static Path transport;

  @BeforeAll
  static void startLab() throws Exception {
    Commands.require("postmap", "postfix");
    lab = MailLab.start("routes", DNS_V4, List.of(
        new LabNetwork.Host("snd", "", GOOD_V4, "2001:db8:10::10", List.of(BAD_V4)),
        new LabNetwork.Host("relay", "", RELAY_V4, "2001:db8:30::30"),
        new LabNetwork.Host("rcv1", "", MX1_V4, "2001:db8:20::20"),
        new LabNetwork.Host("rcv2", "", MX2_V4, "2001:db8:21::21")), zones());
    rcv1 = receiver("rcv1", MX1_V4, "mx1.example.com", "good.example.com viarelay.example.com v4.example.com");
    rcv2 = receiver("rcv2", MX2_V4, "mx2.example.com", "bad.example.com moved.example.com");
    relay = startRelay();
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

  /** The broken route: 192.0.2.11 has no PTR (b.example.com resolves to it, the reverse does not). */
  static LabDns.Zones zones() {
    return LabDns.Zones.empty()
        .address("mail", GOOD_V4).ptr(GOOD_V4, MAIL)
        .address("b", BAD_V4)
        .address("relay", RELAY_V4).ptr(RELAY_V4, RELAY)
        .address("mx1", MX1_V4).ptr(MX1_V4, "mx1.example.com")
        .address("mx2", MX2_V4).ptr(MX2_V4, "mx2.example.com")
        .mx("good", "mx1").mx("viarelay", "mx1").mx("bad", "mx2").mx("moved", "mx2")
        // route smtp-v6: a healthy IPv4 identity, an IPv6 one without PTR; one domain's MX has IPv6
        .address("mx6", MX1_V4).address("mx6", "2001:db8:20::20").mx("v6", "mx6").mx("v4", "mx1");
  }

  /** A lenient receiver on port 25 (MX delivery), recording what it saw in its Received headers. */
  private static PrivatePostfix receiver(String role, String ip, String name, String domains) throws IOException {
    return lab.started(lab.mailboxes(lab.postfix(role, role).listenOn(ip).myhostname(name), role + "-mail", domains)
        .masterCfLine(ip + ":25 inet n - n - - smtpd"));
  }

  /** Relays for the sender's addresses, delivering by MX from its own coherent identity. */
  private static PrivatePostfix startRelay() {
    return lab.started(lab.postfix("relay", "relay")
        .listenOn(RELAY_V4).myhostname(RELAY)
        .parameter("mynetworks", "127.0.0.0/8 192.0.2.0/24")
        .parameter("smtp_bind_address", RELAY_V4)
        .parameter("smtp_helo_name", RELAY)
        .parameter("defer_transports", "")
        .masterCfLine(RELAY_V4 + ":25 inet n - n - - smtpd"));
  }

  /**
   * The sender: default transport smtp-a (192.0.2.10, mail.example.com), smtp-b (192.0.2.11,
   * b.example.com) chosen per domain by a hash transport table; submission guarded by ptrguard
   * (milter_default_action = tempfail: a missing ptrguard fails the test instead of hiding).
   */
  private static PrivatePostfix startSender() throws IOException {
    transport = lab.dir().resolve("transport");
    writeTransport(Map.of("bad.example.com", "smtp-b:", "viarelay.example.com", "smtp-b:[" + RELAY_V4 + "]:25"));
    return lab.started(lab.mailboxes(lab.postfix("snd", "snd").listenOn(GOOD_V4).myhostname(MAIL), "snd-mail",
        "snd.example.com")
        .parameter("default_transport", "smtp-a")
        .parameter("transport_maps", "hash:" + transport)
        .parameter("defer_transports", "")
        // Clients drop their connections to trivial-rewrite after seconds instead of 1000 s, so a
        // rebuilt table (no reload) is picked up within seconds: trivial-rewrite restarts on a
        // changed table when a client connects anew.
        .parameter("ipc_ttl", "3s")
        .parameter("ipc_idle", "2s")
        .masterCfLine("smtp-a    unix  -       -       n       -       -       smtp\n  -o smtp_bind_address=" + GOOD_V4
            + "\n  -o smtp_helo_name=" + MAIL)
        .masterCfLine("smtp-b    unix  -       -       n       -       -       smtp\n  -o smtp_bind_address=" + BAD_V4
            + "\n  -o smtp_helo_name=" + BEHLO)
        .masterCfLine("smtp-v6   unix  -       -       n       -       -       smtp\n  -o inet_protocols=all"
            + "\n  -o smtp_bind_address=" + GOOD_V4 + "\n  -o smtp_bind_address6=" + BAD_V6 + "\n  -o smtp_helo_name=" + MAIL)
        .smtpdListener("submission", "-o", "smtpd_milters=inet:127.0.0.1:" + LabGuard.MILTER_PORT,
            "-o", "milter_default_action=tempfail"));
  }

  /** When the transport table was last built, so that the next build gets a later mtime. */
  private static long lastTableBuild;

  /** Rewrites the transport table and rebuilds it with Postfix's own postmap. */
  static void writeTransport(Map<String, String> entries) throws IOException {
    // Postfix notices a rebuilt table by its modification time in whole seconds: two builds within
    // one second look unchanged to a running trivial-rewrite, which then keeps the old routes.
    long wait = lastTableBuild + 1100 - System.currentTimeMillis();
    if (wait > 0) {
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting to rebuild the transport table", e);
      }
    }
    StringBuilder text = new StringBuilder();
    entries.forEach((k, v) -> text.append(k).append(' ').append(v).append('\n'));
    text.append("v4.example.com smtp-v6:\nv6.example.com smtp-v6:\n");
    Files.writeString(transport, text.toString());
    ProcessResult r = Commands.run(TIMEOUT, List.of("postmap", "hash:" + transport));
    assertThat(r.ok()).as(r.describe()).isTrue();
    lastTableBuild = System.currentTimeMillis();
  }

  // ---------------------------------------------------------------- what hosts saw

  /** What one receiver's Received header says about the client that delivered {@code subject}. */
  record Seen(String ehlo, String name, String ip) {}

  static Seen awaitSeen(Path inbox, String rcpt, String subject) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      String mbox = Files.exists(inbox) ? Files.readString(inbox, StandardCharsets.UTF_8) : "";
      for (String message : mbox.split("\n(?=From )")) {
        if (message.contains("\nSubject: " + subject + "\n") && message.contains("Delivered-To: " + rcpt + "\n")) {
          Matcher m = RECEIVED.matcher(message);
          assertThat(m.find()).as("no Received header in:\n" + message).isTrue();
          return new Seen(m.group(1), m.group(2), m.group(3));
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no message '" + subject + "' to " + rcpt + " in " + inbox + " within " + TIMEOUT + "\n--- sender log ---\n"
        + sender.maillog());
  }

  static Path inbox(String role) {
    return lab.inbox(role + "-mail");
  }

  static boolean delivered(String role, String rcpt, String subject) throws IOException {
    Path inbox = inbox(role);
    if (!Files.exists(inbox)) {
      return false;
    }
    for (String message : Files.readString(inbox, StandardCharsets.UTF_8).split("\n(?=From )")) {
      if (message.contains("\nSubject: " + subject + "\n") && message.contains("Delivered-To: " + rcpt + "\n")) {
        return true;
      }
    }
    return false;
  }

  static MultiSubmission submit(String subject, String... recipients) {
    return lab.submit("snd", sender, FROM, subject, List.of(recipients));
  }

  static void startGuard(String config) throws Exception {
    lab.startGuard("snd", config);
  }

  /** A ptrguard configuration for this lab: lab DNS only, refreshed every second. */
  static String config(String settings) {
    return """
        listen = ["inet:127.0.0.1:%d"]
        dns { resolvers = ["%s"], timeout = 1s, check-budget = 4s }
        refresh { min = 1s, max = 1s }
        log.level = debug
        %s
        """.formatted(LabGuard.MILTER_PORT, DNS_V4, settings);
  }

  // ---------------------------------------------------------------- scenarios

  /** The topology itself: every route delivers, and each receiver saw the route's own identity. */
  @Test
  @Order(1)
  void eachRouteDeliversWithItsOwnIdentity() throws Exception {
    startGuard(config("mode = audit\nidentities = [ { name = default, ip = [\"" + GOOD_V4 + "\"], ehlo = \"" + MAIL + "\" } ]"));
    MultiSubmission s = submit("topology", GOOD, BAD, VIA, LOCAL);
    assertThat(s.queueId()).as(s.transcript()).isPresent();
    assertThat(awaitSeen(inbox("rcv1"), GOOD, "topology")).isEqualTo(new Seen(MAIL, MAIL, GOOD_V4));
    assertThat(awaitSeen(inbox("rcv1"), VIA, "topology")).isEqualTo(new Seen(RELAY, RELAY, RELAY_V4));
    assertThat(awaitSeen(inbox("rcv2"), BAD, "topology")).isEqualTo(new Seen(BEHLO, "unknown", BAD_V4));
    awaitSeen(inbox("snd"), LOCAL, "topology");
  }

  /** Route mode for the sender's instance, the configured identity left to discovery ("auto"). */
  static String routeConfig(String settings) {
    return config("routes { enabled = yes, postfix-config = \"" + sender.configDir() + "\" }\n" + settings);
  }

  /** ptrguard's line about one recipient: its decision line when not healthy, else its debug line. */
  static String lineFor(String rcpt) throws InterruptedException {
    return lab.guard().awaitLog("rcpt=<" + rcpt + ">", TIMEOUT);
  }

  static String value(String line, String key) {
    Matcher m = Pattern.compile("(?:^| )" + key + "=(\\S+)").matcher(line);
    assertThat(m.find()).as("no " + key + "= in " + line).isTrue();
    return m.group(1);
  }

  @Test
  @Order(2)
  void auditPredictsForEachRecipientTheIdentityTheReceiverSaw() throws Exception {
    startGuard(routeConfig("mode = audit"));
    lab.guard().awaitLog("event=route-identity ip=" + BAD_V4, TIMEOUT);
    MultiSubmission s = submit("predict", GOOD, BAD, VIA, LOCAL);
    assertThat(s.queueId()).as(s.transcript()).isPresent();
    assertThat(s.rcptReplies().values()).as(s.transcript()).allMatch(r -> r.startsWith("250"));

    String good = lineFor(GOOD);
    assertThat(good).contains("event=recipient").contains("route=smtp-a").contains("reach=direct");
    Seen goodSeen = awaitSeen(inbox("rcv1"), GOOD, "predict");
    assertThat(new Seen(value(good, "ehlo4"), goodSeen.name(), value(good, "ipv4"))).isEqualTo(goodSeen);

    String bad = lineFor(BAD);
    assertThat(bad).contains("mode=audit action=accept would=tempfail").contains("route=smtp-b").contains("reach=direct")
        .contains("codes=ptr.missing");
    Seen badSeen = awaitSeen(inbox("rcv2"), BAD, "predict");
    assertThat(new Seen(value(bad, "ehlo"), "unknown", value(bad, "ip"))).isEqualTo(badSeen);

    // Relayed: ptrguard predicts the relay's identity, not ours, reaches the receiver.
    assertThat(lineFor(VIA)).contains("route=smtp-b").contains("reach=relayed").contains("nexthop=[" + RELAY_V4 + "]:25");
    assertThat(awaitSeen(inbox("rcv1"), VIA, "predict")).isEqualTo(new Seen(RELAY, RELAY, RELAY_V4));
    assertThat(lineFor(LOCAL)).contains("reach=local");
    awaitSeen(inbox("snd"), LOCAL, "predict");
  }

  @Test
  @Order(3)
  void enforceTempfailsExactlyTheRecipientsOnTheBrokenRoute() throws Exception {
    startGuard(routeConfig("mode = enforce\nenforce.action = tempfail"));
    lab.guard().awaitLog("event=route-identity ip=" + BAD_V4, TIMEOUT);
    PrivatePostfix.LogMark mark = sender.mark();
    MultiSubmission s = submit("enforce", GOOD, BAD, VIA, LOCAL);
    assertThat(s.reply(BAD)).startsWith("451 4.7.25").contains(BAD_V4).contains("route smtp-b").contains("no PTR");
    for (String ok : List.of(GOOD, VIA, LOCAL)) {
      assertThat(s.reply(ok)).as(ok).startsWith("250");
    }
    String id = s.queueId().orElseThrow(() -> new AssertionError(s.transcript()));
    // Delivered: the others, each by its own route; the refused one stays with the client.
    assertThat(awaitSeen(inbox("rcv1"), GOOD, "enforce")).isEqualTo(new Seen(MAIL, MAIL, GOOD_V4));
    assertThat(awaitSeen(inbox("rcv1"), VIA, "enforce")).isEqualTo(new Seen(RELAY, RELAY, RELAY_V4));
    awaitSeen(inbox("snd"), LOCAL, "enforce");
    sender.waitForLog(mark, id + ": removed", TIMEOUT);
    assertThat(sender.queue()).isEmpty();
    assertThat(delivered("rcv2", BAD, "enforce")).isFalse();
    assertThat(sender.logLinesSince(mark, "status=bounced")).isEmpty();
    assertThat(sender.logLinesSince(mark, "milter-reject: RCPT from")).singleElement().asString()
        .contains("to=<" + BAD + ">");
    assertThat(lab.guard().lines("action=tempfail")).singleElement().asString().contains("rcpt=<" + BAD + ">");
  }

  @Test
  @Order(4)
  void holdHoldsExactlyTheMessagesWithARecipientOnTheBrokenRoute() throws Exception {
    startGuard(routeConfig("mode = enforce\nenforce.action = hold"));
    lab.guard().awaitLog("event=route-identity ip=" + BAD_V4, TIMEOUT);
    PrivatePostfix.LogMark mark = sender.mark();
    MultiSubmission healthy = submit("hold-1", GOOD, VIA);
    MultiSubmission broken = submit("hold-2", GOOD, BAD);
    String heldId = broken.queueId().orElseThrow(() -> new AssertionError(broken.transcript()));
    String okId = healthy.queueId().orElseThrow(() -> new AssertionError(healthy.transcript()));
    sender.waitForLog(mark, heldId + ": milter-hold: END-OF-MESSAGE", TIMEOUT);
    awaitSeen(inbox("rcv1"), GOOD, "hold-1");
    awaitSeen(inbox("rcv1"), VIA, "hold-1");
    sender.waitForLog(mark, okId + ": removed", TIMEOUT);
    assertThat(sender.queue()).singleElement().satisfies(m -> {
      assertThat(m.queueId()).isEqualTo(heldId);
      assertThat(m.onHold()).isTrue();
    });
    assertThat(delivered("rcv1", GOOD, "hold-2")).isFalse();
    assertThat(lab.guard().awaitLog("action=hold stage=message", TIMEOUT)).contains("routes=smtp-b")
        .contains("rcpts=<" + BAD + ">").contains("queue-id=" + heldId);
  }

  @Test
  @Order(5)
  void aChangedTransportTableMovesRecipientsToTheNewRoute() throws Exception {
    startGuard(routeConfig("mode = enforce\nenforce.action = tempfail"));
    lab.guard().awaitLog("event=route-identity ip=" + BAD_V4, TIMEOUT);
    MultiSubmission before = submit("move-0", MOVED);
    assertThat(before.reply(MOVED)).startsWith("250");
    assertThat(awaitSeen(inbox("rcv2"), MOVED, "move-0")).isEqualTo(new Seen(MAIL, MAIL, GOOD_V4));

    // postmap + SIGHUP (Postfix's reload and ptrguard's): moved.example.com now leaves by smtp-b.
    writeTransport(Map.of("bad.example.com", "smtp-b:", "viarelay.example.com", "smtp-b:[" + RELAY_V4 + "]:25",
        "moved.example.com", "smtp-b:"));
    sender.reload();
    lab.guard().reload();
    lab.guard().awaitLog("event=routes-loaded reason=reload", TIMEOUT);
    MultiSubmission moved = submitUntil("move-1", MOVED, r -> r.startsWith("451"));
    assertThat(moved.rcptReplies().values()).singleElement().asString().startsWith("451 4.7.25").contains("route smtp-b");

    // Only the table file changes (postmap, no signal to anyone): Postfix and ptrguard notice.
    writeTransport(Map.of("bad.example.com", "smtp-b:", "viarelay.example.com", "smtp-b:[" + RELAY_V4 + "]:25"));
    MultiSubmission back = submitUntil("move-2", MOVED, r -> r.startsWith("250"));
    back.queueId().orElseThrow(() -> new AssertionError(back.transcript()));
    String to = back.rcptReplies().keySet().iterator().next();
    assertThat(awaitSeen(inbox("rcv2"), to, back.subject())).isEqualTo(new Seen(MAIL, MAIL, GOOD_V4));
    lab.guard().awaitLog("event=routes-loaded reason=file-changed", TIMEOUT);
  }

  /**
   * A route whose IPv6 identity is broken (no PTR) and whose IPv4 identity is healthy: once the
   * background lookup knows a recipient domain's mail exchangers, enforce tempfails only where they
   * have IPv6; the IPv4-only domain's mail is delivered, from the route's IPv4 identity.
   */
  @Test
  @Order(6)
  void aBrokenIpv6IdentityTempfailsOnlyWhereTheRecipientDomainHasIpv6() throws Exception {
    startGuard(routeConfig("mode = enforce\nenforce.action = tempfail"));
    lab.guard().awaitLog("event=route-identity ip=" + BAD_V6, TIMEOUT);
    // The first recipient of a domain not looked up yet is decided as if IPv6 could be used.
    MultiSubmission first = submit("v6-first", V6MX, V4ONLY);
    assertThat(first.reply(V6MX)).as(first.transcript()).startsWith("451 4.7.25").contains(BAD_V6);
    assertThat(first.reply(V4ONLY)).as(first.transcript()).startsWith("451 4.7.25").contains(BAD_V6);
    MultiSubmission v4 = submitUntil("v6-route", V4ONLY, r -> r.startsWith("250"));
    String to = v4.rcptReplies().keySet().iterator().next();
    assertThat(v4.reply(to)).as(v4.transcript()).startsWith("250");
    assertThat(awaitSeen(inbox("rcv1"), to, v4.subject())).isEqualTo(new Seen(MAIL, MAIL, GOOD_V4));
    // Known to have an IPv6 exchanger: still tempfailed, naming the route and the IPv6 address.
    MultiSubmission v6 = submit("v6-known", V6MX);
    assertThat(v6.reply(V6MX)).as(v6.transcript()).startsWith("451 4.7.25").contains("route smtp-v6").contains(BAD_V6);
  }

  /**
   * Submits until the recipient's RCPT reply matches. Without a reload Postfix sees a rebuilt table
   * when trivial-rewrite restarts, which it does when a client connects anew (ipc_idle, ipc_ttl):
   * hence the pause between attempts.
   */
  static MultiSubmission submitUntil(String subject, String rcpt, java.util.function.Predicate<String> wanted)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    for (int attempt = 0;; attempt++) {
      // A new address each time: smtpd remembers its last resolve answer for the same address.
      String to = attempt + rcpt;
      MultiSubmission s = submit(subject + "-" + attempt, to);
      if (wanted.test(s.reply(to)) || System.nanoTime() > deadline) {
        return s;
      }
      Thread.sleep(4000);
    }
  }
}
