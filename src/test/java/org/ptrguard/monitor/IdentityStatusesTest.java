package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.TestDnsServer;

/** The status every session reads: reused while nothing changed, replaced as soon as a refresh changes it. */
class IdentityStatusesTest {
  @TempDir
  Path dir;

  private TestDnsServer dns;
  private IdentityStatuses statuses;

  @AfterEach
  void stop() {
    if (statuses != null) {
      statuses.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @Test
  void warmStatusIsReusedUntilARefreshChangesTheVerdict() throws Exception {
    dns = TestDnsServer.start().zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    Settings settings = ConfigLoader.parse("""
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 1s, check-budget = 3s }
        refresh { min = 1s, max = 1s }
        """.formatted(dns.address().getPort()));
    statuses = IdentityStatuses.start(settings, new Metrics());
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();

    IdentityStatus first = statuses.peek("default").orElseThrow();
    assertThat(first.verdict()).isEqualTo(Verdict.PASS);
    assertThat(statuses.peek("default").orElseThrow()).as("same cache entry, same status object").isSameAs(first);

    // The provider points the PTR elsewhere: the next background refresh must reach the sessions.
    Path moved = Files.writeString(dir.resolve("reverse.zone"), """
        $ORIGIN 2.0.192.in-addr.arpa.
        $TTL 3600
        @  IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 2026112302 3600 600 86400 120
        @  IN NS  ns1.isp.example.net.
        10 IN PTR other.example.com.
        """);
    dns.zone("2.0.192.in-addr.arpa", moved);
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    IdentityStatus now = first;
    while (now.verdict() == Verdict.PASS && System.nanoTime() < deadline) {
      Thread.sleep(50);
      now = statuses.peek("default").orElseThrow();
    }
    assertThat(now.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(now.ptr()).containsExactly("other.example.com");
    assertThat(statuses.peek("default").orElseThrow()).isSameAs(now);
  }

  @Test
  void dnsLookupCountKeepsCountingWhenAReloadSwapsTheChecker() throws Exception {
    dns = TestDnsServer.start().zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    String config = """
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = %s, check-budget = 3s }
        refresh { min = 1s, max = 1s }
        """;
    Metrics metrics = new Metrics();
    statuses = IdentityStatuses.start(ConfigLoader.parse(config.formatted(dns.address().getPort(), "1s")), metrics);
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();
    long before = lookups(metrics);
    assertThat(before).as("the first check asked DNS").isPositive();

    // A new DNS timeout makes the monitor replace its checker; the next refresh (1s) checks with the new one.
    Settings reloaded = ConfigLoader.parse(config.formatted(dns.address().getPort(), "2s"));
    statuses.update(reloaded);
    assertThat(lookups(metrics)).as("the total right after the swap").isGreaterThanOrEqualTo(before);
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (lookups(metrics) <= before && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(lookups(metrics)).as("lookups counted across the swap, not from zero again").isGreaterThan(before);
  }

  @Test
  void metricsShowEveryVerdictAndTheCheckTimeFromTheStart() throws Exception {
    dns = TestDnsServer.start().zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone")
        // The first check waits for this answer: long enough to scrape before it finishes.
        .fault("10.2.0.192.in-addr.arpa", TestDnsServer.Fault.DELAY, 3000);
    Settings settings = ConfigLoader.parse("""
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 5s, check-budget = 8s }
        """.formatted(dns.address().getPort()));
    Metrics metrics = new Metrics();
    long startedMs = System.currentTimeMillis();
    statuses = IdentityStatuses.start(settings, metrics);
    String series = "{identity=\"default\",ip=\"192.0.2.10\"";
    String before = awaitRendered(metrics, "ptrguard_identity_last_check_timestamp_seconds" + series + "}");
    assertThat(statuses.peek("default")).as("still checking").isEmpty();
    assertThat(before).contains("ptrguard_identity_last_check_timestamp_seconds" + series + "} 0\n");
    for (String verdict : new String[] {"pass", "warn", "unknown", "fail"}) {
      assertThat(before).contains("ptrguard_identity_verdict" + series + ",verdict=\"" + verdict + "\"} 0\n");
    }

    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(20))).isTrue();
    String after = metrics.render();
    assertThat(after).contains("ptrguard_identity_verdict" + series + ",verdict=\"pass\"} 1\n")
        .contains("ptrguard_identity_verdict" + series + ",verdict=\"fail\"} 0\n")
        .contains("ptrguard_identity_verdict" + series + ",verdict=\"warn\"} 0\n")
        .contains("ptrguard_identity_verdict" + series + ",verdict=\"unknown\"} 0\n");
    double checkedAt = after.lines().filter(l -> l.startsWith("ptrguard_identity_last_check_timestamp_seconds" + series))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    assertThat(checkedAt).isBetween(startedMs / 1000.0, System.currentTimeMillis() / 1000.0);
  }

  private static String awaitRendered(Metrics metrics, String needle) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String text = metrics.render();
    while (!text.contains(needle) && System.nanoTime() < deadline) {
      Thread.sleep(10);
      text = metrics.render();
    }
    return text;
  }

  private static long lookups(Metrics metrics) {
    return metrics.render().lines().filter(l -> l.startsWith("ptrguard_dns_lookups_total{"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
