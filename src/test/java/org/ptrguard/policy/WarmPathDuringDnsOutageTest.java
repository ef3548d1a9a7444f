package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.milter.MilterServer;
import org.ptrguard.milter.MilterServerOptions;
import org.ptrguard.monitor.IdentityStatuses;
import org.ptrguard.monitor.RefreshingCache;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.FaultZones;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.ptrguard.testing.TestDnsServer;

/**
 * The SMTP path while every background refresh fails: the real identity monitor (IdentityStatuses,
 * RefreshingCache, DnsClient) behind the real milter server, DNS dropping every question. Sessions
 * must be answered from the cache: no decision waits for DNS (counted by the guard itself), and
 * HELO latency stays what it was with DNS healthy.
 */
class WarmPathDuringDnsOutageTest {
  static final int SESSIONS = 150;
  /**
   * What one lookup on the SMTP path (a wait, or a refresh blocking an event loop) would cost a
   * session: long, so that it stands far above what a loaded machine's scheduler adds to a session.
   */
  static final int DNS_TIMEOUT_MS = 1000;

  @TempDir
  Path zones;

  private TestDnsServer dns;
  private IdentityStatuses statuses;
  private MilterServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (statuses != null) {
      statuses.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  /** HELO round trips in ms, one fresh milter connection per session as Postfix does. */
  private List<Double> heloLatencies(int sessions) throws Exception {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      try (MilterTestClient c = MilterTestClient.connect(server.boundAddresses().get(0)).timeout(Duration.ofSeconds(10))) {
        c.negotiate();
        c.macro('C');
        c.connect("client.example.net", '4', 40000, "10.0.0.5");
        c.macro('H');
        long t0 = System.nanoTime();
        Reply r = c.helo("client.example.net").orElseThrow();
        ms.add((System.nanoTime() - t0) / 1e6);
        assertThat(r.code()).as("pass verdict served from the cache").isEqualTo('a');
      }
    }
    Collections.sort(ms);
    return ms;
  }

  private static double percentile(List<Double> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  private static long waits(Metrics metrics) {
    return metrics.render().lines().filter(l -> l.startsWith("ptrguard_smtp_path_identity_waits_total "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(0);
  }

  @Test
  void sessionsAreAnsweredFromTheCacheWithoutWaitingWhileRefreshesFail() throws Exception {
    dns = FaultZones.load(TestDnsServer.start(), zones);
    Settings settings = ConfigLoader.parse("""
        mode = enforce
        on-dns-error = tempfail
        identities = [ { name = default, ip = ["198.51.100.10"], ehlo = "mail.%s" } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = %dms, check-budget = 2s, stale-max = 1h }
        refresh { min = 1s, max = 1s }
        """.formatted(FaultZones.FORWARD, dns.address().getPort(), DNS_TIMEOUT_MS));
    Metrics metrics = new Metrics();
    statuses = IdentityStatuses.start(settings, metrics);
    assertThat(statuses.awaitFirstVerdicts(Duration.ofSeconds(10))).isTrue();
    server = MilterServer.start(MilterServerOptions.defaults()
        .withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0"))), new Guard(settings, statuses, metrics));

    List<Double> healthy = heloLatencies(SESSIONS);
    long waitsBefore = waits(metrics);
    dns.faultAll(Fault.DROP);
    long queriesBefore = dns.queries();
    long t0 = System.nanoTime();
    List<Double> outage = heloLatencies(SESSIONS);
    // Keep sessions coming for two refresh intervals and until background refreshes have met the dead
    // resolver (a loaded machine can run the refresh late): bounded, ends as soon as both hold.
    long deadline = t0 + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() - t0 < 2_500_000_000L
        || dns.queries() - queriesBefore < 2 && System.nanoTime() < deadline) {
      outage.addAll(heloLatencies(10));
    }
    Collections.sort(outage);
    long failedQuestions = dns.queries() - queriesBefore;

    System.out.printf("warm-path healthy p50=%.2fms p99=%.2fms max=%.2fms; outage p50=%.2fms p99=%.2fms max=%.2fms"
        + " sessions=%d unanswered-dns-questions=%d%n", percentile(healthy, 0.5), percentile(healthy, 0.99),
        healthy.get(healthy.size() - 1), percentile(outage, 0.5), percentile(outage, 0.99), outage.get(outage.size() - 1),
        outage.size(), failedQuestions);
    assertThat(failedQuestions).as("background refreshes really ran against the dead resolver").isPositive();
    assertThat(waits(metrics)).as("decisions that waited for DNS during the outage").isEqualTo(waitsBefore);
    // Latency: a refresh that blocked an event loop would hold up the sessions behind it for the DNS
    // timeout without counting as a wait. It is long (1 s) so that the floor, half of it, stays far
    // above what two shared cores at a load of 20 add to the few slowest sessions (a 50 ms floor
    // failed there once).
    assertThat(percentile(outage, 0.99)).as("p99 HELO ms during the outage vs. healthy")
        .isLessThan(Math.max(DNS_TIMEOUT_MS / 2, 5 * percentile(healthy, 0.99)));
  }
}
