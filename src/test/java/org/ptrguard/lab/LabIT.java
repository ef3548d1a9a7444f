package org.ptrguard.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.QueuedMessage;
import org.ptrguard.testing.TestFiles;

/**
 * The end-to-end lab: a sending Postfix with ptrguard on its submission service, a strict receiving
 * Postfix ({@code reject_unknown_client_hostname}, code 550) and an authoritative Unbound, each in a
 * network namespace of its own with TEST-NET addresses. Each scenario rewrites the zones, starts
 * ptrguard with the scenario's mode, submits one message with swaks and asserts what the client,
 * the sender's queue and log, and the receiver's log and mailbox saw. One "LAB scenario=..." line
 * per scenario goes to stdout and to target/lab-report.txt. A scenario sets up everything it
 * depends on (zones, a fresh ptrguard; the queue is purged after each) and asserts on its own
 * message, so the scenarios run in any order.
 */
class LabIT {
  static final String DNS_V4 = "203.0.113.53";
  static final String SENDER_V4 = "192.0.2.10";
  static final String SENDER_V6 = "2001:db8:10::10";
  static final String RECEIVER_V4 = "198.51.100.20";
  static final String RECEIVER_V6 = "2001:db8:20::20";
  static final String MAIL = "mail.example.com";
  /** A second EHLO name with the same address, used by the sender's "smtpodd" transport. */
  static final String ODD = "odd.example.com";
  static final String FROM = "alice@snd.example.com";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Path REPORT = Path.of("target", "lab-report.txt");
  private static final Pattern SAID = Pattern.compile("said: (.*?) \\(in reply to");

  static Path dir;
  static LabNetwork network;
  static LabDns dns;
  static PrivatePostfix receiver;
  static PrivatePostfix sender;
  static LabGuard guard;
  /** Sorted by scenario, so the report reads the same whatever order the tests ran in. */
  static final Map<String, String> report = new TreeMap<>();

  @BeforeAll
  static void startLab() throws Exception {
    Commands.require("swaks", "swaks");
    long t0 = System.nanoTime();
    dir = Files.createTempDirectory("ptrguard-lab-");
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    writeReport();
    network = LabNetwork.create(DNS_V4);
    dns = LabDns.start(network.host("dns"), dir.resolve("dns"), coherent());
    receiver = startReceiver();
    sender = startSender();
    System.out.printf("LAB setup ms=%d dir=%s%n", (System.nanoTime() - t0) / 1_000_000, dir);
  }

  @AfterAll
  static void stopLab() throws Exception {
    try {
      stopGuard();
      for (AutoCloseable c : new AutoCloseable[] {sender, receiver, dns, network}) {
        if (c != null) {
          c.close();
        }
      }
    } finally {
      writeReport();
      if (dir != null && System.getProperty("ptrguard.keepLab") == null) {
        TestFiles.deleteTree(dir);
      }
    }
  }

  private static void writeReport() throws IOException {
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, report.isEmpty() ? "" : String.join("\n", report.values()) + "\n", StandardCharsets.UTF_8);
  }

  @AfterEach
  void cleanSlate() throws Exception {
    stopGuard();
    sender.purgeQueue();
  }

  // ---------------------------------------------------------------- the lab hosts

  private static PrivatePostfix startReceiver() throws IOException {
    Path mail = mailDir("rcv-mail");
    return PrivatePostfix.builder("labrcv").inNetworkNamespace(network.host("rcv").namespace())
        .listenOn(RECEIVER_V4).listenOnIpv6(RECEIVER_V6)
        .parameter("smtpd_client_restrictions", "reject_unknown_client_hostname")
        .parameter("unknown_client_reject_code", "550")
        .parameter("virtual_mailbox_domains", "rcv.example.com rcv6.example.com ehlo.example.com")
        .parameter("virtual_mailbox_base", mail.toString())
        .parameter("virtual_mailbox_maps", "static:inbox")
        .parameter("virtual_uid_maps", "static:" + postfixId("-u"))
        .parameter("virtual_gid_maps", "static:" + postfixId("-g"))
        .parameter("virtual_minimum_uid", "1")
        .masterCfLine("virtual   unix  -       n       n       -       -       virtual")
        .build().start();
  }

  /**
   * The sender: submission listener guarded by ptrguard (milter_default_action = tempfail, so a
   * ptrguard that is not there fails the scenario instead of hiding it), outbound from the lab
   * addresses with EHLO mail.example.com. Transport maps choose the path by recipient domain, so no
   * scenario needs a Postfix reload: rcv.example.com over IPv4, rcv6.example.com over IPv6, and
   * ehlo.example.com over IPv4 with the EHLO name odd.example.com. All three are mailbox domains
   * of the receiver. Bounces to snd.example.com land in the sender's own mailbox.
   */
  private static PrivatePostfix startSender() throws IOException {
    Path mail = mailDir("snd-mail");
    int port = receiver.smtpPort();
    String transports = "inline:{ rcv6.example.com=smtp:[" + RECEIVER_V6 + "]:" + port
        + ", ehlo.example.com=smtpodd:[" + RECEIVER_V4 + "]:" + port + " }";
    return PrivatePostfix.builder("labsnd").inNetworkNamespace(network.host("snd").namespace())
        .listenOn(SENDER_V4).listenOnIpv6(SENDER_V6)
        .myhostname(MAIL)
        .parameter("smtp_bind_address", SENDER_V4)
        .parameter("smtp_bind_address6", SENDER_V6)
        .parameter("smtp_helo_name", MAIL)
        .parameter("relayhost", "[" + RECEIVER_V4 + "]:" + port)
        .parameter("transport_maps", transports)
        .parameter("virtual_mailbox_domains", "snd.example.com")
        .parameter("virtual_mailbox_base", mail.toString())
        .parameter("virtual_mailbox_maps", "static:inbox")
        .parameter("virtual_uid_maps", "static:" + postfixId("-u"))
        .parameter("virtual_gid_maps", "static:" + postfixId("-g"))
        .parameter("virtual_minimum_uid", "1")
        .masterCfLine("virtual   unix  -       n       n       -       -       virtual")
        .masterCfLine("smtpodd   unix  -       -       n       -       -       smtp\n  -o smtp_helo_name=" + ODD)
        .smtpdListener("submission", "-o", "smtpd_milters=inet:127.0.0.1:" + LabGuard.MILTER_PORT,
            "-o", "milter_default_action=tempfail")
        .build().start();
  }

  private static Path mailDir(String name) throws IOException {
    Path mail = Files.createDirectory(dir.resolve(name));
    Files.setOwner(mail, mail.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix"));
    return mail;
  }

  private static String postfixId(String flag) {
    return Commands.runOk(TIMEOUT, List.of("id", flag, "postfix")).stdout().strip();
  }

  // ---------------------------------------------------------------- zones

  /** Every lab name coherent: PTR, forward A/AAAA and both EHLO names agree on the sender's addresses. */
  static LabDns.Zones coherent() {
    return base(true, true, SENDER_V4);
  }

  static LabDns.Zones base(boolean ptr4, boolean ptr6, String mailV4) {
    LabDns.Zones z = LabDns.Zones.empty()
        .address("mail", mailV4).address("mail", SENDER_V6)
        .address("odd", SENDER_V4)
        .ptr(RECEIVER_V6, "mx.example.com");
    if (ptr4) {
      z = z.ptr(SENDER_V4, MAIL);
    }
    if (ptr6) {
      z = z.ptr(SENDER_V6, MAIL);
    }
    return z;
  }

  // ---------------------------------------------------------------- scenarios

  @Test
  void coherentIdentityIsDelivered() throws Exception {
    dns.publish(coherent());
    startGuard(SENDER_V4, MAIL, "mode = enforce");
    Outcome o = deliver("1", "ipv4", "rcv.example.com");
    assertThat(o.submission.decisive()).startsWith("250 2.0.0 Ok: queued as");
    assertThat(o.receiverConnect).contains("connect from mail.example.com[" + SENDER_V4 + "]");
    assertThat(o.received()).isEqualTo("from mail.example.com (mail.example.com [" + SENDER_V4 + "])");
    assertThat(guard.lines("event=decision mode=enforce action=accept")).isNotEmpty();
  }

  @Test
  void missingPtrInAuditIsSubmittedThenBouncedByTheReceiver() throws Exception {
    dns.publish(base(false, true, SENDER_V4));
    startGuard(SENDER_V4, MAIL, "mode = audit");
    // Logged at start-up, before any mail was submitted.
    String finding = guard.awaitLog("event=identity identity=default ip=" + SENDER_V4, TIMEOUT);
    assertThat(finding).contains("verdict=fail").contains("ptr.missing");
    Outcome o = bounce("2", "ipv4", "rcv.example.com", SENDER_V4);
    assertThat(o.decision).contains("mode=audit action=accept would=tempfail");
  }

  @Test
  void missingPtrInEnforceIsTempfailedAndNothingLeaves() throws Exception {
    dns.publish(base(false, true, SENDER_V4));
    startGuard(SENDER_V4, MAIL, "mode = enforce\nenforce.action = tempfail");
    refused("3", "ipv4", "rcv.example.com", SENDER_V4);
  }

  @Test
  void fcrdnsMismatchIsHeldThenReleasedAfterTheZoneIsFixed() throws Exception {
    dns.publish(base(true, true, "192.0.2.99"));
    startGuard(SENDER_V4, MAIL, "mode = enforce\nenforce.action = hold");
    String finding = guard.awaitLog("event=identity identity=default ip=" + SENDER_V4, TIMEOUT);
    assertThat(finding).contains("verdict=fail").contains("fcrdns.mismatch");
    PrivatePostfix.LogMark senderMark = sender.mark();
    PrivatePostfix.LogMark receiverMark = receiver.mark();
    Submission s = submit("rcv.example.com", "lab-4");
    assertThat(s.queuedReply()).as(s.transcript()).isPresent();
    String id = s.queueId().orElseThrow();
    sender.waitForLog(senderMark, id + ": milter-hold: END-OF-MESSAGE", TIMEOUT);
    assertThat(sender.queue()).singleElement().satisfies(m -> assertThat(m.onHold()).isTrue());
    String heldQueue = describeQueue();
    String decision = guard.awaitLog("event=decision mode=enforce action=hold", TIMEOUT);

    dns.publish(coherent());
    String refreshed = guard.awaitLog("from=fail to=pass", TIMEOUT);
    sender.releaseHeld();
    sender.flush();
    sender.waitForLog(senderMark, id + ": to=<bob@rcv.example.com>.*status=sent", TIMEOUT);
    String mailbox = awaitMailbox("lab-4");
    assertThat(mailbox).contains("Subject: lab-4");
    assertThat(receiver.logLinesSince(receiverMark, "connect from mail.example.com\\[" + SENDER_V4 + "\\]")).isNotEmpty();
    assertThat(sender.queue()).isEmpty();
    line("4", "ipv4", "client=\"" + s.decisive() + "\" ptrguard-finding=\"" + pick(finding, "verdict=\\S+ codes=\\S+")
        + "\" sender-queue-before-fix=\"" + heldQueue
        + "\" ptrguard-refresh=\"" + pick(refreshed, "from=fail to=pass") + "\" after-release sender-status=sent"
        + " sender-queue=" + describeQueue() + " receiver=delivered mailbox=\"Subject: lab-4\" ptrguard=\""
        + pick(decision, "action=hold") + "\"");
  }

  @Test
  void ehloMismatchOnlyWarnsAndIsDeliveredInBothModes() throws Exception {
    dns.publish(coherent());
    for (String mode : List.of("audit", "enforce")) {
      startGuard(SENDER_V4, ODD, "mode = " + mode);
      String finding = guard.awaitLog("event=identity identity=default ip=" + SENDER_V4, TIMEOUT);
      assertThat(finding).contains("verdict=warn").contains("ehlo.ptr-mismatch");
      PrivatePostfix.LogMark receiverMark = receiver.mark();
      Outcome o = deliver("5-" + mode, "ipv4", "ehlo.example.com");
      assertThat(receiver.logLinesSince(receiverMark, "client=mail.example.com\\[" + SENDER_V4 + "\\]")).isNotEmpty();
      assertThat(o.decision).contains("mode=" + mode + " action=accept");
      // The receiver saw the odd EHLO name on the wire, from a client whose PTR names mail.example.com.
      assertThat(o.received()).isEqualTo("from " + ODD + " (mail.example.com [" + SENDER_V4 + "])");
      stopGuard();
    }
  }

  @Test
  void ipv6CoherentIsDeliveredOverIpv6() throws Exception {
    dns.publish(coherent());
    startGuard(SENDER_V6, MAIL, "mode = enforce");
    Outcome o = deliver("6-coherent", "ipv6", "rcv6.example.com");
    assertThat(o.receiverConnect).contains("connect from mail.example.com[" + SENDER_V6 + "]");
  }

  @Test
  void ipv6MissingPtrInAuditIsBouncedByTheReceiver() throws Exception {
    dns.publish(base(true, false, SENDER_V4));
    startGuard(SENDER_V6, MAIL, "mode = audit");
    String finding = guard.awaitLog("event=identity identity=default ip=" + SENDER_V6, TIMEOUT);
    assertThat(finding).contains("verdict=fail").contains("ptr.missing");
    Outcome o = bounce("6-audit", "ipv6", "rcv6.example.com", SENDER_V6);
    assertThat(o.decision).contains("mode=audit action=accept would=tempfail");
  }

  @Test
  void ipv6MissingPtrInEnforceIsTempfailed() throws Exception {
    dns.publish(base(true, false, SENDER_V4));
    startGuard(SENDER_V6, MAIL, "mode = enforce");
    refused("6-enforce", "ipv6", "rcv6.example.com", SENDER_V6);
  }

  // ---------------------------------------------------------------- shared scenario steps

  /** What one scenario observed end to end. */
  record Outcome(Submission submission, String decision, String receiverConnect, String received) {}

  /** Submits; expects delivery into the receiver's mailbox and an empty sender queue. */
  private static Outcome deliver(String scenario, String family, String domain) throws Exception {
    PrivatePostfix.LogMark senderMark = sender.mark();
    PrivatePostfix.LogMark receiverMark = receiver.mark();
    String subject = "lab-" + scenario;
    Submission s = submit(domain, subject);
    assertThat(s.queuedReply()).as(s.transcript()).isPresent();
    String id = s.queueId().orElseThrow();
    String sent = sender.waitForLog(senderMark, id + ": to=<bob@" + domain + ">.*status=sent", TIMEOUT);
    String received = receivedHeader(awaitMailbox(subject), subject);
    String connect = receiver.waitForLog(receiverMark, "connect from \\S+\\[", TIMEOUT);
    assertThat(sender.queue()).isEmpty();
    String decision = guard.awaitLog("event=decision", TIMEOUT);
    String warnings = guard.lines("verdict=warn").stream().findFirst().map(l -> " ptrguard-warning=\""
        + pick(l, "verdict=warn codes=\\S+") + "\"").orElse("");
    line(scenario, family, "client=\"" + s.decisive() + "\" sender-status=sent relay=\"" + pick(sent, "relay=[^,]+")
        + "\" sender-queue=" + describeQueue() + " receiver=delivered via=\"" + pick(connect, "connect from \\S+")
        + "\" mailbox=\"Subject: " + subject + "\" ptrguard=\"" + pick(decision, "mode=\\S+ action=\\S+( would=\\S+)?")
        + "\"" + warnings + " received=\"" + received + "\"");
    return new Outcome(s, decision, connect, received);
  }

  /** Submits in audit mode with a broken identity; expects the receiver's 550 and a bounce. */
  private static Outcome bounce(String scenario, String family, String domain, String ip) throws Exception {
    PrivatePostfix.LogMark senderMark = sender.mark();
    PrivatePostfix.LogMark receiverMark = receiver.mark();
    String subject = "lab-" + scenario;
    Submission s = submit(domain, subject);
    assertThat(s.queuedReply()).as(s.transcript()).isPresent();
    // The decision is taken before the client's MAIL FROM is answered, so it is logged by now.
    String decision = guard.awaitLog("event=decision", Duration.ofSeconds(2));
    String id = s.queueId().orElseThrow();
    String bounced = sender.waitForLog(senderMark, id + ": to=<bob@" + domain + ">.*status=bounced", TIMEOUT);
    String reason = said(bounced);
    assertThat(reason).startsWith("550 5.7.25").contains(ip);
    String rejected = receiver.waitForLog(receiverMark, "NOQUEUE: reject: RCPT from unknown\\[" + Pattern.quote(ip) + "\\]",
        TIMEOUT);
    assertThat(rejected).contains("550 5.7.25");
    // The bounce (DSN) reaches the sender's own mailbox with the receiver's words.
    String dsn = awaitFile(dir.resolve("snd-mail/inbox"), "Subject: " + subject);
    assertThat(dsn).contains("Undelivered Mail Returned to Sender").contains("550 5.7.25");
    assertThat(mailbox()).doesNotContain("Subject: " + subject);
    line(scenario, family, "client=\"" + s.decisive() + "\" sender-status=bounced sender-queue=" + describeQueue()
        + " receiver=rejected bounce=\"" + reason + "\" dsn=in-sender-mailbox ptrguard=\""
        + pick(decision, "mode=\\S+ action=\\S+( would=\\S+)?") + " before-submission:"
        + pick(guard.awaitLog("event=identity identity=default", TIMEOUT), "verdict=\\S+ codes=\\S+") + "\"");
    return new Outcome(s, decision, rejected, "");
  }

  /** Submits in enforce/tempfail mode with a broken identity; expects 451 4.7.25 and no connection out. */
  private static void refused(String scenario, String family, String domain, String ip) throws Exception {
    PrivatePostfix.LogMark receiverMark = receiver.mark();
    Submission s = submit(domain, "lab-" + scenario);
    assertThat(s.refusal()).as(s.transcript()).isPresent();
    assertThat(s.refusal().get()).startsWith("451 4.7.25").contains(ip).contains("no PTR record");
    assertThat(s.queuedReply()).isEmpty();
    assertThat(sender.queue()).isEmpty();
    String decision = guard.awaitLog("event=decision mode=enforce action=tempfail", TIMEOUT);
    // Give a wrongly sent message time to arrive before asserting that none did.
    Thread.sleep(1000);
    assertThat(receiver.logLinesSince(receiverMark, "connect from")).isEmpty();
    line(scenario, family, "client=\"" + s.refusal().get() + "\" sender-queue=" + describeQueue()
        + " receiver=no-connection ptrguard=\"" + pick(decision, "mode=\\S+ action=\\S+") + "\"");
  }

  private static Submission submit(String domain, String subject) {
    return Submission.send(network.host("snd"), sender.listenerPort("submission"), FROM, "bob@" + domain, subject);
  }

  private static void startGuard(String ip, String ehlo, String settings) throws Exception {
    stopGuard();
    guard = LabGuard.start(network.host("snd"), dir, "ptrguard-" + System.nanoTime(),
        LabGuard.config(DNS_V4, ip, ehlo, settings));
  }

  private static void stopGuard() throws InterruptedException {
    if (guard != null) {
      guard.close();
      guard = null;
    }
  }

  private static String describeQueue() {
    List<QueuedMessage> queue = sender.queue();
    if (queue.isEmpty()) {
      return "empty";
    }
    Map<String, Integer> byQueue = new TreeMap<>();
    queue.forEach(m -> byQueue.merge(m.queueName(), 1, Integer::sum));
    return byQueue.toString().replace(" ", "");
  }

  private static String mailbox() throws IOException {
    Path inbox = dir.resolve("rcv-mail/inbox");
    return Files.exists(inbox) ? Files.readString(inbox, StandardCharsets.UTF_8) : "";
  }

  private static String awaitMailbox(String subject) throws Exception {
    return awaitFile(dir.resolve("rcv-mail/inbox"), "Subject: " + subject);
  }

  private static String awaitFile(Path file, String needle) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      if (text.contains(needle)) {
        return text;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no '" + needle + "' in " + file + " within " + TIMEOUT + ":\n" + text);
      }
      Thread.sleep(50);
    }
  }

  /** The receiver's own Received line of the message with {@code subject}: EHLO name, then verified name and IP. */
  private static String receivedHeader(String mbox, String subject) {
    for (String message : mbox.split("\n(?=From )")) {
      if (message.contains("\nSubject: " + subject + "\n")) {
        Matcher m = Pattern.compile("Received: from (\\S+ \\([^)]*\\))").matcher(message);
        assertThat(m.find()).as("no Received header in:\n" + message).isTrue();
        return "from " + m.group(1);
      }
    }
    throw new AssertionError("no message with Subject: " + subject + " in the receiver's mailbox:\n" + mbox);
  }

  private static String said(String logLine) {
    Matcher m = SAID.matcher(logLine);
    assertThat(m.find()).as("no remote reply in: " + logLine).isTrue();
    return m.group(1);
  }

  private static String pick(String line, String regex) {
    Matcher m = Pattern.compile(regex).matcher(line);
    return m.find() ? m.group() : line;
  }

  private static void line(String scenario, String family, String observed) throws IOException {
    String text = "LAB scenario=" + scenario + " family=" + family + " " + observed;
    System.out.println(text);
    report.put(scenario, text);
    // rewritten as it goes, so a later failure still leaves the lines of the scenarios that ran
    writeReport();
  }
}
