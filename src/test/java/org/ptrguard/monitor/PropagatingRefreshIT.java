package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.UnboundResolver;
import org.xbill.DNS.Type;

/**
 * The daemon's refresh of a propagating identity: a real caching resolver (unbound) holds the old
 * PTR, the reverse zone's own server already has the new one; the monitor checks the identity
 * again when unbound's copy expires, not at refresh.max (1 h here).
 */
class PropagatingRefreshIT {
  /** The TTL of the old PTR that unbound caches. */
  private static final long OLD_TTL = 15;

  @TempDir Path dir;
  private List<TestDnsServer> servers;
  private UnboundResolver unbound;
  private IdentityStatuses statuses;

  @AfterEach
  void stop() {
    if (statuses != null) {
      statuses.close();
    }
    if (unbound != null) {
      unbound.close();
    }
    if (servers != null) {
      servers.forEach(TestDnsServer::close);
    }
  }

  private Path zone(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name + ".zone"), text);
  }

  private static String reverse(String ptr) {
    return """
        $ORIGIN 2.0.192.in-addr.arpa.
        $TTL 3600
        @  IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 120
        @  IN NS  ns1.isp.example.net.
        """ + ptr + "\n";
  }

  @Test
  void aPropagatingIdentityIsCheckedAgainWhenTheResolversCopyExpires() throws Exception {
    servers = TestDnsServer.startOnSamePort(List.of("127.0.0.2", "127.0.0.4"));
    int port = servers.get(0).address().getPort();
    servers.get(0).zone("2.0.192.in-addr.arpa", zone("old", reverse("10 " + OLD_TTL + " IN PTR old.example.com.")))
        .zone("isp.example.net", zone("isp", """
            $ORIGIN isp.example.net.
            $TTL 600
            @   IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 120
            @   IN NS  ns1.isp.example.net.
            ns1 IN A 127.0.0.2
            """));
    servers.get(1).zone("example.com", zone("example", """
        $ORIGIN example.com.
        $TTL 300
        @    IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60
        @    IN NS  ns1.example.com.
        ns1  IN A 127.0.0.4
        mail IN A 192.0.2.10
        old  IN A 192.0.2.10
        """));
    unbound = UnboundResolver.start(dir, Map.of("2.0.192.in-addr.arpa", "127.0.0.2@" + port,
        "isp.example.net", "127.0.0.2@" + port, "example.com", "127.0.0.4@" + port));
    // unbound caches the old PTR; then the provider changes it.
    assertThat(unbound.ask("10.2.0.192.in-addr.arpa", Type.PTR).toString()).contains("old.example.com");
    servers.get(0).zone("2.0.192.in-addr.arpa", zone("new", reverse("10 IN PTR mail.example.com.")));

    Settings settings = ConfigLoader.parse("""
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["%s"], timeout = 1s, check-budget = 4s, authoritative-port = %d }
        refresh { min = 1s, max = 1h }
        """.formatted("127.0.0.1:" + unbound.address().getPort(), port));
    statuses = IdentityStatuses.start(settings, new Metrics());
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();
    IdentityMonitor.LiveTarget first = statuses.live().targets().get(0);
    IdentityReport before = first.report().orElseThrow();
    assertThat(before.propagating()).as(before.findings() + "\n" + unbound.log()).isTrue();
    assertThat(before.verdict()).isEqualTo(Verdict.WARN);
    long left = before.minTtl().toSeconds();
    assertThat(left).as("what unbound has left of its copy").isBetween(1L, OLD_TTL);
    // Scheduled just after the copy expires: not before (it would see the old copy again), not at refresh.max.
    Duration scheduled = Duration.between(first.checkedAt().orElseThrow(), first.nextCheck().orElseThrow());
    assertThat(scheduled).isBetween(Duration.ofSeconds(left), Duration.ofSeconds(left + 2));

    long deadline = System.nanoTime() + Duration.ofSeconds(OLD_TTL * 3).toNanos();
    IdentityMonitor.LiveTarget now = first;
    while (now.report().orElseThrow().propagating() && System.nanoTime() < deadline) {
      Thread.sleep(100);
      now = statuses.live().targets().get(0);
    }
    IdentityReport after = now.report().orElseThrow();
    assertThat(after.propagating()).as(after.findings().toString()).isFalse();
    assertThat(after.verdict()).isEqualTo(Verdict.PASS);
    Duration between = Duration.between(first.checkedAt().orElseThrow(), now.checkedAt().orElseThrow());
    assertThat(between).as("checked again after the copy expired").isGreaterThanOrEqualTo(Duration.ofSeconds(left));
    // ... and soon after: a small multiple of the time unbound had left, where refresh.max is an hour.
    assertThat(between).isLessThan(Duration.ofSeconds(3 * (left + 1)));
  }
}
