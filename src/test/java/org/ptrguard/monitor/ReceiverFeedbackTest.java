package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.LogCapture;
import org.ptrguard.testing.TestDnsServer;

/**
 * Receiver rejections against a real identity monitor (checked against the in-process authoritative
 * server): the report line, the metrics, the 24-hour summary and, with feedback.enforce, the hold
 * that the guard reads: its finding, its expiry and its early end when the identity's DNS changes.
 */
class ReceiverFeedbackTest {
  static final String GMAIL_TEXT = "The IP address sending this message does not have a PTR record setup, or the "
      + "corresponding forward DNS entry does not match the sending IP. As a policy, Gmail does not accept messages "
      + "from IPs with missing PTR records.";

  @TempDir
  Path dir;

  private TestDnsServer dns;
  private IdentityStatuses statuses;
  private Metrics metrics;
  private MutableClock clock;
  private QueueVerdicts queue;
  private ReceiverFeedback feedback;

  @BeforeEach
  void start() throws Exception {
    dns = TestDnsServer.start().zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    Settings settings = ConfigLoader.parse("""
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 1s, check-budget = 3s }
        refresh { min = 1s, max = 1s }
        """.formatted(dns.address().getPort()));
    metrics = new Metrics();
    statuses = IdentityStatuses.start(settings, metrics);
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();
    clock = new MutableClock(Instant.parse("2026-12-03T07:00:00Z"));
    queue = new QueueVerdicts();
    feedback = new ReceiverFeedback(metrics, queue, new ReceiverHolds(clock), clock);
    feedback.configure(settings.identities(), statuses.current(), RouteStatusSource.NONE, false, Duration.ofHours(1));
  }

  @AfterEach
  void stop() {
    if (statuses != null) {
      statuses.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  private ReceiverRejection rejection(String queueId, String address, String text) throws Exception {
    return new ReceiverRejection(clock.instant(), "smtp", queueId, "alice@example.net", "mx.example.net",
        Optional.of(InetAddress.getByName(address)), "bounced", "550", "5.7.25", "ptr", "gmail-ptr", "550 5.7.25 " + text);
  }

  @Test
  void aRejectionIsReportedOnceWithItsIdentityFamilyAndWhatPtrguardSaid() throws Exception {
    assertThat(metrics.render()).as("zero series from the start, so increase() sees the first")
        .contains("ptrguard_receiver_rejections_total{identity=\"default\",family=\"ipv4\",class=\"ptr\"} 0")
        .contains("ptrguard_receiver_rejections_total{identity=\"default\",family=\"ipv6\",class=\"helo\"} 0")
        .contains("ptrguard_receiver_rejection_last_timestamp_seconds{identity=\"default\"} 0");
    try (LogCapture log = LogCapture.start()) {
      feedback.rejected(rejection("4QAB12", "198.51.100.20", GMAIL_TEXT));
      String line = log.await("event=receiver-rejection", Duration.ofSeconds(5));
      assertThat(line).contains("WARN").contains("identity=default route=smtp family=ipv4 ip=192.0.2.10")
          .contains("receiver=mx.example.net[198.51.100.20] domain=example.net status=bounced code=550 dsn=5.7.25 class=ptr")
          .contains("rule=gmail-ptr queue-id=4QAB12 ptrguard-verdict=pass agrees=no verdict-from=identity")
          .contains("reply=\"550 5.7.25 The IP address sending this message");

      // A message ptrguard itself judged (its queue ID is known): that verdict counts, and agrees.
      queue.remember("5QCD34", Verdict.FAIL);
      feedback.rejected(rejection("5QCD34", "2001:db8::25", "IPv6 sending guidelines regarding PTR records"));
      assertThat(log.await(l -> l.contains("queue-id=5QCD34"), Duration.ofSeconds(5)))
          .contains("family=ipv6").contains("ptrguard-verdict=fail agrees=yes verdict-from=queue-id");
    }
    assertThat(metrics.render())
        .contains("ptrguard_receiver_rejections_total{identity=\"default\",family=\"ipv4\",class=\"ptr\"} 1")
        .contains("ptrguard_receiver_rejections_total{identity=\"default\",family=\"ipv6\",class=\"ptr\"} 1")
        .contains("ptrguard_receiver_rejection_last_timestamp_seconds{identity=\"default\"} " + clock.instant().getEpochSecond());
    assertThat(feedback.summary().last24h()).singleElement().satisfies(s -> {
      assertThat(s.count()).isEqualTo(2);
      assertThat(s.lastReceiver()).isEqualTo("mx.example.net[2001:db8::25]");
      assertThat(s.lastText()).startsWith("550 5.7.25 IPv6 sending");
    });
    assertThat(statuses.peek("default").orElseThrow().verdict()).as("audit of receivers only: no hold").isEqualTo(Verdict.PASS);
  }

  @Test
  void hostileReplyTextNeverReachesTheLogRaw() throws Exception {
    try (LogCapture log = LogCapture.start()) {
      feedback.rejected(rejection("6QEF56", "198.51.100.20", "no PTR\r\nevent=forged \u001b[31m" + "x".repeat(100_000)));
      String line = log.await("event=receiver-rejection", Duration.ofSeconds(5));
      assertThat(line).doesNotContain("\r").doesNotContain("\u001b").contains("\\x0d\\x0a").hasSizeLessThan(2000);
      assertThat(log.linesContaining("event=forged")).allSatisfy(l -> assertThat(l).contains("event=receiver-rejection"))
          .isNotEmpty();
    }
  }

  @Test
  void enforceHoldsTheIdentityWithTheReceiversTextUntilHoldForEnds() throws Exception {
    feedback.configure(java.util.List.of(), statuses.current(), RouteStatusSource.NONE, true, Duration.ofMinutes(30));
    // no identity can be told without identities: nothing to hold
    feedback.rejected(rejection("7Q1", "198.51.100.20", GMAIL_TEXT));
    assertThat(feedback.holds().active()).isEmpty();

    Settings settings = ConfigLoader.parse("identities = [ { name = default, ip = [\"192.0.2.10\"], ehlo = \"mail.example.com\" } ]");
    feedback.configure(settings.identities(), statuses.current(), RouteStatusSource.NONE, true, Duration.ofMinutes(30));
    IdentityStatusSource guarded = feedback.holds().over(statuses.current());
    assertThat(guarded.peek("default").orElseThrow().verdict()).isEqualTo(Verdict.PASS);
    feedback.rejected(rejection("7Q2", "198.51.100.20", GMAIL_TEXT));

    IdentityStatus held = guarded.peek("default").orElseThrow();
    assertThat(held.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(held.codes()).first().isEqualTo("receiver.rejected");
    assertThat(held.reason()).contains("receiver mx.example.net[198.51.100.20] rejected mail from 192.0.2.10")
        .contains("550 5.7.25 The IP address sending this message");
    assertThat(guarded.status("default").toCompletableFuture().get().verdict()).isEqualTo(Verdict.FAIL);

    clock.advance(Duration.ofMinutes(29));
    assertThat(guarded.peek("default").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
    clock.advance(Duration.ofMinutes(2));
    assertThat(guarded.peek("default").orElseThrow().verdict()).as("hold-for is over").isEqualTo(Verdict.PASS);
    assertThat(feedback.holds().active()).isEmpty();

    // Switching feedback.enforce off by reload lets go at once.
    feedback.rejected(rejection("7Q3", "198.51.100.20", GMAIL_TEXT));
    assertThat(guarded.peek("default").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
    feedback.configure(settings.identities(), statuses.current(), RouteStatusSource.NONE, false, Duration.ofMinutes(30));
    assertThat(guarded.peek("default").orElseThrow().verdict()).isEqualTo(Verdict.PASS);
  }

  @Test
  void aHoldEndsEarlyWhenTheIdentitysDnsChanges() throws Exception {
    Settings settings = ConfigLoader.parse("identities = [ { name = default, ip = [\"192.0.2.10\"], ehlo = \"mail.example.com\" } ]");
    feedback.configure(settings.identities(), statuses.current(), RouteStatusSource.NONE, true, Duration.ofHours(1));
    IdentityStatusSource guarded = feedback.holds().over(statuses.current());
    feedback.rejected(rejection("8Q1", "198.51.100.20", GMAIL_TEXT));
    assertThat(guarded.peek("default").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);

    try (LogCapture log = LogCapture.start()) {
      // The admin has the provider point the PTR at another name: the next refresh sees new answers.
      dns.zone("2.0.192.in-addr.arpa", Files.writeString(dir.resolve("reverse.zone"), """
          $ORIGIN 2.0.192.in-addr.arpa.
          $TTL 1
          @  IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 2026112302 3600 600 86400 1
          @  IN NS  ns1.isp.example.net.
          10 IN PTR other.example.com.
          """));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (guarded.peek("default").orElseThrow().codes().contains("receiver.rejected") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(guarded.peek("default").orElseThrow().codes()).doesNotContain("receiver.rejected");
      assertThat(log.await("event=receiver-hold-cleared", Duration.ofSeconds(5))).contains("identity=default")
          .contains("reason=dns-changed");
    }
    assertThat(feedback.holds().active()).isEmpty();
  }
}
