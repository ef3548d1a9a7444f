package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.Metrics;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteWatcher;
import org.ptrguard.testing.TestDnsServer;

/**
 * The route monitor over a real Postfix configuration (read by postconf) and the in-process
 * authoritative DNS server: its lookups count in the daemon's one {@code ptrguard_dns_lookups_total}.
 */
class RouteStatusesTest {
  @TempDir Path postfixDir;
  private TestDnsServer dns;
  private IdentityStatuses identities;
  private RouteStatuses routes;

  @AfterEach
  void stop() {
    if (routes != null) {
      routes.close();
    }
    if (identities != null) {
      identities.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @Test
  void routeLookupsCountInTheDaemonsDnsLookupMetric() throws Exception {
    dns = TestDnsServer.start().zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    Files.writeString(postfixDir.resolve("main.cf"), """
        compatibility_level = 3.6
        myhostname = mail.example.com
        inet_protocols = ipv4
        smtp_bind_address = 192.0.2.10
        """);
    Files.writeString(postfixDir.resolve("master.cf"), """
        smtp      unix  -       -       n       -       -       smtp
        local     unix  -       n       n       -       -       local
        """);
    Settings settings = ConfigLoader.parse("""
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = "mail.example.com" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 5s, check-budget = 15s }
        refresh { min = 1h, max = 1h }
        """.formatted(dns.address().getPort()));
    // Generous DNS timeouts (they end at the answer): on a loaded machine a 2 s timeout made a check
    // UNKNOWN now and then, which is retried only after 30 s.
    Metrics metrics = new Metrics();
    identities = IdentityStatuses.start(settings, metrics);
    assertThat(identities.awaitFirstVerdicts(Duration.ofSeconds(30))).isTrue();
    long identityLookups = lookups(metrics);
    long identityQueries = dns.queries();
    assertThat(identityLookups).isPositive();

    RouteWatcher watcher = new RouteWatcher(new RouteDiscovery(PostfixTools.forInstance(Optional.of(postfixDir))),
        List.of());
    routes = RouteStatuses.start(settings, watcher, identities.lookups());
    assertThat(routes.awaitFirstVerdicts(Duration.ofSeconds(30))).isTrue();
    // A check that still came back UNKNOWN (DNS slower than the timeout) is retried after 30 s: wait
    // for that retry (bounded, ends at PASS) rather than fail on the machine's load; FAIL stays a failure.
    long passDeadline = System.nanoTime() + Duration.ofSeconds(75).toNanos();
    while (routes.snapshot().directStatuses().size() == 1
        && routes.snapshot().directStatuses().get(0).verdict() == Verdict.UNKNOWN && System.nanoTime() < passDeadline) {
      Thread.sleep(100);
    }
    assertThat(routes.snapshot().directStatuses()).singleElement()
        .satisfies(s -> assertThat(s.verdict()).isEqualTo(Verdict.PASS));
    long afterRoutes = lookups(metrics);
    // The route identity is checked by the route monitor's own checker: its queries are counted
    // in the same metric (never more lookups counted than queries the server received).
    assertThat(afterRoutes).isGreaterThan(identityLookups);
    assertThat(afterRoutes - identityLookups).isLessThanOrEqualTo(dns.queries() - identityQueries);

    // The recipient-domain MX lookups (background, for IPv6 decisions) count too.
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    Optional<Set<Family>> families;
    while ((families = routes.destinationFamilies("example.com")).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(families).isPresent();
    assertThat(lookups(metrics)).isGreaterThan(afterRoutes);
  }

  private static long lookups(Metrics metrics) {
    return metrics.render().lines().filter(l -> l.startsWith("ptrguard_dns_lookups_total{"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
