package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.JournalStream;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.QueuedMessage;
import org.ptrguard.testing.SmtpReply;
import org.ptrguard.testing.SmtpSink;
import org.ptrguard.testing.SmtpTestClient;
import org.ptrguard.testing.TestDnsServer;

/**
 * The whole guard as an admin runs it: the packaged jar as its own process (under a journald-like
 * environment), a private Postfix with smtpd_milters and non_smtpd_milters pointing at it, and a
 * DNS server with one coherent identity (192.0.2.10, mail.example.com) and a broken one
 * (192.0.2.13: no PTR). Modes and identities change by rewriting the file and sending SIGHUP, as
 * {@code systemctl reload} does.
 */
class GuardPostfixIT {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final String GOOD = "{ name = default, ip = [\"192.0.2.10\"], ehlo = mail.example.com }";
  static final String BROKEN = "{ name = default, ip = [\"192.0.2.13\"], ehlo = mail.example.com }";

  static TestDnsServer dns;
  static SmtpSink sink;
  static PrivatePostfix postfix;
  static Process ptrguard;
  static Path dir;
  static Path conf;
  static Path log;
  static int milterPort;
  static int metricsPort;

  @BeforeAll
  static void startEverything() throws Exception {
    dir = Files.createTempDirectory("ptrguard-guard-it");
    conf = dir.resolve("ptrguard.conf");
    log = dir.resolve("ptrguard.log");
    dns = TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("isp.example.net", "isp.example.net.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    milterPort = FreePorts.next();
    metricsPort = FreePorts.next();
    Files.writeString(conf, config("mode = audit", GOOD));
    ProcessBuilder pb = PtrguardProcess.builder(JournalStream.ptrguard("serve", "--config", conf.toString()));
    pb.environment().remove("PTRGUARD_MODE");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    ptrguard = pb.start();
    awaitLog("event=ready", 1);
    sink = SmtpSink.start();
    String milter = "inet:127.0.0.1:" + milterPort;
    postfix = PrivatePostfix.builder("guardtest").relayTo(sink)
        .parameter("smtpd_milters", milter)
        .parameter("non_smtpd_milters", milter)
        .parameter("milter_default_action", "accept")
        // A second submission service whose {daemon_name} selects its own identity.
        .smtpdListener("news", "-o", "milter_macro_daemon_name=submission-news")
        .build().start();
  }

  @AfterAll
  static void stopEverything() throws Exception {
    if (postfix != null) {
      postfix.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (ptrguard != null) {
      ptrguard.destroy();
      assertThat(ptrguard.waitFor(20, TimeUnit.SECONDS)).isTrue();
      // SIGTERM: the JVM exits with 143, which the systemd unit counts as success.
      assertThat(ptrguard.exitValue()).isEqualTo(143);
    }
    if (dns != null) {
      dns.close();
    }
  }

  @BeforeEach
  void cleanSlate() {
    dns.clearFaults();
    postfix.purgeQueue();
  }

  static String config(String settings, String... identities) {
    return """
        listen = ["inet:127.0.0.1:%d"]
        metrics.listen = "127.0.0.1:%d"
        identities = [ %s ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 1500ms, check-budget = 4s }
        %s
        """.formatted(milterPort, metricsPort, String.join(", ", identities), dns.address().getPort(), settings);
  }

  /** Rewrites the file and sends SIGHUP; returns when ptrguard says it applied (or rejected) it. */
  static void reloadFile(String text, String expect) throws Exception {
    int before = count(expect);
    Files.writeString(conf, text);
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ptrguard.pid())).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    awaitLog(expect, before + 1);
  }

  static void reload(String settings, String... identities) throws Exception {
    reloadFile(config(settings, identities), "event=reload result=applied");
  }

  static String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  static int count(String needle) throws IOException {
    return (int) logText().lines().filter(l -> l.contains(needle)).count();
  }

  static void awaitLog(String needle, int times) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (count(needle) < times) {
      assertThat(ptrguard.isAlive()).as("ptrguard died:\n" + logText()).isTrue();
      assertThat(System.nanoTime()).as("no '" + needle + "' in the ptrguard log:\n" + logText()).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** One SMTP transaction; returns the MAIL FROM reply and, if accepted, the DATA reply. */
  static List<SmtpReply> send(String sender, String subject) throws IOException {
    return send(postfix.smtpAddress(), sender, subject);
  }

  static List<SmtpReply> send(java.net.InetSocketAddress smtpd, String sender, String subject) throws IOException {
    try (SmtpTestClient c = SmtpTestClient.connect(smtpd, TIMEOUT)) {
      c.greeting();
      c.ehlo("client.example.test");
      List<SmtpReply> replies = new ArrayList<>();
      SmtpReply mail = c.mail(sender);
      replies.add(mail);
      if (mail.code() == 250) {
        c.rcpt("rcpt@dest.example.test");
        replies.add(c.data("Subject: " + subject + "\nFrom: " + sender + "\n\nhello\n"));
      }
      c.quit();
      return replies;
    }
  }

  @Test
  void auditLetsMailThroughAndLogsWhatEnforceWouldDo() throws Exception {
    reload("mode = audit", BROKEN);
    int before = sink.messageCount();
    List<SmtpReply> r = send("alice@example.com", "audit-broken");
    assertThat(r).extracting(SmtpReply::code).containsExactly(250, 250);
    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m).contains("Subject: audit-broken"));
    awaitLog("event=decision mode=audit action=accept would=tempfail identity=default ip=192.0.2.13", 1);
    // journald priority prefixes, no timestamps: the decision lines are info, the broken identity a warning.
    assertThat(logText().lines().filter(l -> l.contains("event=decision mode=audit")))
        .isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("<6>level=info logger=decision event=decision"));
    assertThat(logText()).contains("<4>level=warn logger=identity event=identity identity=default ip=192.0.2.13");
    assertThat(logText()).containsPattern("<6>level=info logger=Daemon event=listening .* version="
        + java.util.regex.Pattern.quote(org.ptrguard.ops.BuildInfo.version()) + "\n");
  }

  @Test
  void enforceTempfailsAtMailFromAndQueuesNothing() throws Exception {
    reload("mode = enforce", BROKEN);
    int before = sink.messageCount();
    List<SmtpReply> r = send("alice@example.com", "enforce-broken");
    assertThat(r).hasSize(1);
    assertThat(r.get(0).line()).isEqualTo("451 4.7.25 ptrguard: outbound identity 192.0.2.13 not ready: no PTR record for 192.0.2.13");
    assertThat(postfix.queueCount()).isZero();
    assertThat(sink.messageCount()).isEqualTo(before);
    assertThat(logText()).contains("<4>level=warn logger=decision event=decision mode=enforce action=tempfail identity=default ip=192.0.2.13");
  }

  @Test
  void enforceLetsACoherentIdentityThrough() throws Exception {
    reload("mode = enforce", GOOD);
    int before = sink.messageCount();
    assertThat(send("alice@example.com", "enforce-good")).extracting(SmtpReply::code).containsExactly(250, 250);
    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m).contains("Subject: enforce-good"));
  }

  @Test
  void holdKeepsSmtpAndSendmailMailOnTheHoldQueue() throws Exception {
    reload("mode = enforce\nenforce.action = hold", BROKEN);
    int before = sink.messageCount();
    assertThat(send("alice@example.com", "hold-smtp")).extracting(SmtpReply::code).containsExactly(250, 250);
    ProcessResult local = postfix.sendmail("local@example.com", List.of("rcpt@dest.example.test"),
        "Subject: hold-sendmail\n\nfrom a local program\n");
    assertThat(local.ok()).as(local.describe()).isTrue();
    postfix.waitForLog("milter-hold: END-OF-MESSAGE from localhost\\[127.0.0.1\\]", TIMEOUT);
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (postfix.holdCount() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(postfix.holdCount()).isEqualTo(2);
    assertThat(sink.messageCount()).isEqualTo(before);
    assertThat(logText()).contains("action=hold identity=default ip=192.0.2.13");
    // Each held message can be matched to its decision by Postfix's queue ID.
    List<String> held = postfix.queue().stream().filter(QueuedMessage::onHold).map(QueuedMessage::queueId).toList();
    // (The line is written before ptrguard answers end of message, so before Postfix holds the message.)
    assertThat(held).hasSize(2).allSatisfy(id -> assertThat(logText()).containsPattern(
        "<4>level=warn logger=decision event=decision mode=enforce action=hold .* stage=message queue-id=" + id + " "));
  }

  @Test
  void auditHeaderTravelsWithTheMessage() throws Exception {
    reload("mode = audit\naudit.add-header = true", BROKEN);
    int before = sink.messageCount();
    assertThat(send("alice@example.com", "with-header")).extracting(SmtpReply::code).containsExactly(250, 250);
    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m)
        .contains("Subject: with-header")
        .contains("X-PTRGuard: fail identity=default ip=192.0.2.13 codes=ptr.missing"));
  }

  @Test
  void postfixServiceNameSelectsTheIdentity() throws Exception {
    reload("mode = enforce", GOOD, "{ name = news, ip = [\"192.0.2.13\"], ehlo = mail.example.com, services = [submission-news] }");
    java.net.InetSocketAddress news = new java.net.InetSocketAddress("127.0.0.1", postfix.listenerPort("news"));
    List<SmtpReply> r = send(news, "alice@example.com", "via-news-service");
    assertThat(r.get(0).code()).isEqualTo(451);
    assertThat(r.get(0).line()).contains("192.0.2.13");
    assertThat(send("alice@example.com", "via-default-service")).extracting(SmtpReply::code).containsExactly(250, 250);
    assertThat(logText()).contains("identity=news ip=192.0.2.13").contains("daemon=submission-news");
  }

  @Test
  void clientsOutsideTheScopeAreNotGuarded() throws Exception {
    reload("mode = enforce\nscope.clients = [\"10.0.0.0/8\"]", BROKEN);
    int before = sink.messageCount();
    assertThat(send("alice@example.com", "out-of-scope")).extracting(SmtpReply::code).containsExactly(250, 250);
    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m).contains("Subject: out-of-scope"));
  }

  @Test
  void senderDomainSelectsTheIdentity() throws Exception {
    reload("mode = enforce", GOOD, "{ name = news, ip = [\"192.0.2.13\"], ehlo = mail.example.com, senders = [news.example.com] }");
    List<SmtpReply> news = send("letters@news.example.com", "news");
    assertThat(news.get(0).code()).isEqualTo(451);
    assertThat(news.get(0).line()).contains("192.0.2.13");
    assertThat(send("alice@example.com", "regular")).extracting(SmtpReply::code).containsExactly(250, 250);
    assertThat(logText()).contains("identity=news ip=192.0.2.13");
  }

  @Test
  void reloadSwitchesModeForTheNextDecisionAndKeepsOpenSessions() throws Exception {
    reload("mode = audit", BROKEN);
    int before = sink.messageCount();
    try (SmtpTestClient open = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      open.greeting();
      assertThat(open.ehlo("client.example.test").code()).isEqualTo(250);
      reload("mode = enforce", BROKEN);
      assertThat(send("bob@example.com", "after-reload").get(0).code()).isEqualTo(451);
      // The session that was decided in audit mode goes on undisturbed.
      assertThat(open.mail("alice@example.com").code()).isEqualTo(250);
      assertThat(open.rcpt("rcpt@dest.example.test").code()).isEqualTo(250);
      assertThat(open.data("Subject: opened-before-reload\n\nhello\n").code()).isEqualTo(250);
      open.quit();
    }
    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m).contains("Subject: opened-before-reload"));
  }

  @Test
  void brokenFileOnReloadKeepsTheRunningConfiguration() throws Exception {
    reload("mode = enforce", BROKEN);
    reloadFile("mode = enforced\n" + config("", BROKEN), "event=reload result=rejected");
    assertThat(logText()).containsPattern(Pattern.quote(conf.toString()) + ": 1: mode: 'enforced' must be one of audit, enforce");
    assertThat(send("alice@example.com", "still-enforced").get(0).code()).isEqualTo(451);
  }

  @Test
  void dnsOutageServesTheCachedVerdictThenAppliesOnDnsError() throws Exception {
    reload("mode = enforce\non-dns-error = tempfail\nrefresh { min = 1s, max = 1s }\ndns.stale-max = 3s", GOOD);
    assertThat(send("alice@example.com", "warm").get(0).code()).isEqualTo(250);
    dns.faultAll(TestDnsServer.Fault.DROP);
    // Within TTL plus stale-max the cached verdict answers, with no wait for DNS.
    long start = System.nanoTime();
    assertThat(send("alice@example.com", "during-outage").get(0).code()).isEqualTo(250);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
    // After that, the verdict is unknown and on-dns-error = tempfail applies.
    awaitLog("event=identity identity=default ip=192.0.2.10 from=pass to=unknown", 1);
    List<SmtpReply> r = send("alice@example.com", "after-stale-max");
    assertThat(r.get(0).code()).isEqualTo(451);
    assertThat(r.get(0).line()).contains("not ready: could not look up");
    dns.clearFaults();
    awaitLog("event=identity identity=default ip=192.0.2.10 from=unknown to=pass", 1);
    assertThat(send("alice@example.com", "recovered").get(0).code()).isEqualTo(250);
  }

  static long metric(String series) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    return body.lines().filter(l -> l.startsWith(series + " ")).mapToLong(l -> (long) Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst().orElse(0);
  }

  @Test
  void warmGuardMakesNoDnsQueriesPerSessionAndCountsEverything() throws Exception {
    reload("mode = enforce", GOOD);
    assertThat(send("alice@example.com", "warm-up").get(0).code()).isEqualTo(250);
    long lookups = dns.queries();
    long waits = metric("ptrguard_smtp_path_identity_waits_total");
    long accepted = metric("ptrguard_decisions_total{mode=\"enforce\",action=\"accept\",verdict=\"pass\"}");
    long helos = metric("ptrguard_milter_commands_total{command=\"Helo\"}");
    for (int i = 0; i < 5; i++) {
      assertThat(send("alice@example.com", "warm-" + i).get(0).code()).isEqualTo(250);
    }
    assertThat(dns.queries()).as("DNS queries during 5 warm sessions").isEqualTo(lookups);
    assertThat(metric("ptrguard_smtp_path_identity_waits_total")).isEqualTo(waits);
    assertThat(metric("ptrguard_decisions_total{mode=\"enforce\",action=\"accept\",verdict=\"pass\"}")).isEqualTo(accepted + 5);
    assertThat(metric("ptrguard_milter_commands_total{command=\"Helo\"}")).isEqualTo(helos + 5);
    assertThat(metric("ptrguard_identity_verdict{identity=\"default\",ip=\"192.0.2.10\",verdict=\"pass\"}")).isEqualTo(1);
    assertThat(metric("ptrguard_dns_lookups_total{outcome=\"noerror\"}")).isPositive();
    assertThat(metric("ptrguard_milter_protocol_errors_total")).isZero();
  }

  @Test
  void invalidConfigurationAtStartExits78() throws Exception {
    Path bad = dir.resolve("bad.conf");
    Files.writeString(bad, "mode = audit\nlisten = [\"inet:25@\"]\n");
    Process p = PtrguardProcess.builder("serve", "--config", bad.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(78);
    assertThat(out).contains(bad + ": 2: listen:");
  }

}
