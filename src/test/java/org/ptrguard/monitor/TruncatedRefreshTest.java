package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.FaultZones;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.ptrguard.testing.TestDnsServer;

/**
 * A warm verdict meets a server whose every reply is truncated over UDP and TCP alike: the refresh
 * learns nothing about the zone, so the last good verdict stands (marked stale) instead of turning
 * into "no PTR record" at once.
 */
class TruncatedRefreshTest {
  @TempDir
  Path zones;
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
  void truncatedRefreshKeepsTheStaleVerdictGrace() throws Exception {
    dns = FaultZones.load(TestDnsServer.start(), zones);
    Settings settings = ConfigLoader.parse("""
        identities = [ { name = default, ip = ["198.51.100.10"], ehlo = "mail.%s" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 300ms, check-budget = 2s, stale-max = 1h }
        refresh { min = 1s, max = 1s }
        """.formatted(FaultZones.FORWARD, dns.address().getPort()));
    statuses = IdentityStatuses.start(settings, new Metrics());
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();
    assertThat(statuses.peek("default").orElseThrow().verdict()).isEqualTo(Verdict.PASS);

    dns.faultAll(Fault.TRUNCATE_ALWAYS);
    long tcpBefore = dns.tcpQueries();
    IdentityStatus now = statuses.peek("default").orElseThrow();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    // Until the first refresh against the truncating server has landed, whatever it made of it.
    while ((!now.stale() && now.verdict() == Verdict.PASS) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      now = statuses.peek("default").orElseThrow();
    }
    assertThat(dns.tcpQueries()).as("the refresh asked again over TCP and got TC again").isGreaterThan(tcpBefore);
    assertThat(now.verdict()).as(now.toString()).isEqualTo(Verdict.PASS);
    assertThat(now.stale()).isTrue();
  }
}
