package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.GenericNameClassifier;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityChecker;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.testing.FaultZones;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.ptrguard.testing.TestDnsServer;

/**
 * Thousands of failing refreshes through the real path (RefreshingCache -> IdentityChecker ->
 * DnsClient -> dnsjava -> UDP to a real server): threads and file descriptors come back to where
 * they were, and every load completes (nothing is left in flight).
 */
class RefreshLeakTest {
  static final int KEYS = 16;
  static final Duration TIMEOUT = Duration.ofMillis(200);

  @TempDir
  Path zones;

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private TestDnsServer dns;
  private IdentityChecker checker;

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
    if (checker != null) {
      checker.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  static int openFds() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count();
    }
  }

  /** Live threads, without the test DNS server's own workers (one per packet, idle for a minute). */
  static int threads() {
    return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> !t.getName().equals("test-dns")).count();
  }

  static java.util.Map<String, Long> threadNames() {
    return Thread.getAllStackTraces().keySet().stream().collect(java.util.stream.Collectors.groupingBy(
        t -> t.getName().replaceAll("\\d+", "N"), java.util.TreeMap::new, java.util.stream.Collectors.counting()));
  }

  record Usage(int fds, int threads) {}

  static Usage usage() throws IOException {
    return new Usage(openFds(), threads());
  }

  private RefreshingCache<Identity, IdentityReport> cache(InetSocketAddress resolver) {
    checker = new IdentityChecker(new DnsOptions(List.of(resolver), List.of(), TIMEOUT, Duration.ofSeconds(1)),
        GenericNameClassifier.standard());
    // Retries far in the future: only the loads this test starts run.
    RefreshingCache.Timing timing = new RefreshingCache.Timing(Duration.ofHours(1), Duration.ofHours(1),
        Duration.ofHours(1), Duration.ofHours(1));
    return new RefreshingCache<>(checker::check, new RefreshingCache.ValuePolicy<>() {
      @Override
      public Duration ttl(IdentityReport r) {
        return r.minTtl();
      }

      @Override
      public boolean definitive(IdentityReport r) {
        return r.verdict() != Verdict.UNKNOWN;
      }
    }, (k, before, after) -> {}, timing, scheduler, Clock.systemUTC());
  }

  private static List<Identity> identities() throws IOException {
    List<Identity> out = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      out.add(new Identity("id" + i, InetAddress.getByName("198.51.100." + (100 + i)), "mail." + FaultZones.FORWARD, false));
    }
    return out;
  }

  /** {@code total} refreshes, {@link #KEYS} at a time; every one must end UNKNOWN. */
  private static void refresh(RefreshingCache<Identity, IdentityReport> cache, List<Identity> keys, int total)
      throws Exception {
    for (int done = 0; done < total; done += keys.size()) {
      List<CompletableFuture<RefreshingCache.Entry<IdentityReport>>> batch = new ArrayList<>();
      for (Identity k : keys) {
        batch.add(cache.refresh(k).toCompletableFuture());
      }
      for (CompletableFuture<RefreshingCache.Entry<IdentityReport>> f : batch) {
        IdentityReport r = f.get(10, TimeUnit.SECONDS).value();
        assertThat(r.verdict()).as(r.findings().toString()).isEqualTo(Verdict.UNKNOWN);
      }
    }
  }

  private void assertBackToBaseline(Usage baseline) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Usage now = usage();
    while ((now.fds() > baseline.fds() + 4 || now.threads() > baseline.threads() + 2) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      now = usage();
    }
    System.out.println("leak-check baseline=" + baseline + " after=" + now + " threads=" + threadNames());
    assertThat(now.fds()).as("open file descriptors (baseline " + baseline.fds() + ")").isLessThanOrEqualTo(baseline.fds() + 4);
    assertThat(now.threads()).as("threads (baseline " + baseline.threads() + ")").isLessThanOrEqualTo(baseline.threads() + 2);
    assertThat(checker.inFlightLookups()).as("DNS questions still pending").isZero();
  }

  @Test
  void tenThousandServfailRefreshesLeakNothing() throws Exception {
    dns = FaultZones.load(TestDnsServer.start(), zones).faultAll(Fault.SERVFAIL);
    RefreshingCache<Identity, IdentityReport> cache = cache(dns.address());
    List<Identity> keys = identities();
    refresh(cache, keys, 10 * KEYS); // warm up: dnsjava's selector thread, our two DNS threads
    Usage baseline = usage();
    long queries = dns.queries();
    long t0 = System.nanoTime();
    refresh(cache, keys, 10_000);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    System.out.println("leak-check servfail refreshes=10000 ms=" + ms + " dns-queries=" + (dns.queries() - queries));
    assertThat(dns.queries() - queries).as("the refreshes really asked DNS").isGreaterThanOrEqualTo(10_000);
    assertBackToBaseline(baseline);
  }

  @Test
  void refreshesAgainstAResolverThatIsDownLeakNothing() throws Exception {
    int port = FreePorts.closedUdp(); // nothing listens there: every query meets a closed port
    RefreshingCache<Identity, IdentityReport> cache = cache(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    List<Identity> keys = identities();
    refresh(cache, keys, 2 * KEYS);
    Usage baseline = usage();
    long t0 = System.nanoTime();
    refresh(cache, keys, 10_000);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    System.out.println("leak-check resolver-down refreshes=10000 ms=" + ms);
    assertBackToBaseline(baseline);
  }
}
