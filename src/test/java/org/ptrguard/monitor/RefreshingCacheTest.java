package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.monitor.RefreshingCache.Entry;
import org.ptrguard.monitor.RefreshingCache.Timing;

class RefreshingCacheTest {
  /** A stand-in check result: a verdict word and a TTL; "unknown" is the temporary one. */
  record Result(String verdict, Duration ttl) {}

  private static final RefreshingCache.ValuePolicy<Result> POLICY = new RefreshingCache.ValuePolicy<>() {
    @Override
    public Duration ttl(Result value) {
      return value.ttl();
    }

    @Override
    public boolean definitive(Result value) {
      return !value.verdict().equals("unknown");
    }

    @Override
    public boolean reloadAfterExpiry(Result value) {
      return value.verdict().equals("propagating");
    }
  };

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicReference<Result> next = new AtomicReference<>(new Result("pass", Duration.ofHours(1)));
  private final List<String> changes = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private RefreshingCache<String, Result> cache(Timing timing) {
    return new RefreshingCache<>(key -> {
      loads.incrementAndGet();
      Result r = next.get();
      if (r == null) {
        throw new IllegalStateException("loader bug");
      }
      // Complete on another thread, as a DNS lookup would.
      return CompletableFuture.supplyAsync(() -> r);
    }, POLICY, (key, before, after) -> changes.add(key + ":" + before.map(Result::verdict).orElse("-") + "->" + after.verdict()),
        timing, scheduler, Clock.systemUTC());
  }

  private static Timing timing(long minMs, long maxMs, long staleMs, long retryMs) {
    return new Timing(Duration.ofMillis(minMs), Duration.ofMillis(maxMs), Duration.ofMillis(staleMs), Duration.ofMillis(retryMs));
  }

  private static void eventually(Runnable assertion) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        assertion.run();
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  @Test
  void shorterTimingFromAReloadAppliesToWarmKeysAtOnce() throws Exception {
    RefreshingCache<String, Result> cache = cache(timing(3_600_000, 3_600_000, 60_000, 60_000));
    cache.get("a").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(loads.get()).isEqualTo(1);
    // Warm with a refresh an hour away; the reload says refresh every 200 ms.
    cache.setTiming(timing(200, 200, 60_000, 200));
    eventually(() -> assertThat(loads.get()).as("refreshes under the new timing").isGreaterThanOrEqualTo(3));
  }

  @Test
  void aValueWaitingForACacheIsReloadedJustAfterItsTtlOthersJustBefore() throws Exception {
    RefreshingCache<String, Result> cache = cache(timing(1_000, 3_600_000, 60_000, 1_000));
    next.set(new Result("pass", Duration.ofSeconds(100)));
    cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    long before = Duration.between(Instant.now(), cache.nextLoad("a").orElseThrow()).toSeconds();
    next.set(new Result("propagating", Duration.ofSeconds(100)));
    cache.refresh("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    long after = Duration.between(Instant.now(), cache.nextLoad("a").orElseThrow()).toSeconds();
    assertThat(before).as("a tenth before expiry").isBetween(88L, 90L);
    assertThat(after).as("a second after expiry").isBetween(99L, 101L);
  }

  @Test
  void coldReadWaitsForTheFirstLoadAndWarmReadsDoNotLoad() throws Exception {
    RefreshingCache<String, Result> cache = cache(timing(60_000, 3_600_000, 60_000, 1_000));
    assertThat(cache.peek("a")).isEmpty();
    Entry<Result> first = cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(first.value().verdict()).isEqualTo("pass");
    for (int i = 0; i < 100; i++) {
      CompletableFuture<Entry<Result>> warm = cache.get("a").toCompletableFuture();
      assertThat(warm).isDone();
    }
    assertThat(loads).hasValue(1);
    assertThat(changes).containsExactly("a:-->pass");
  }

  /** A clock that holds the thread finishing a load at its first reading, once armed. */
  private static final class HoldingClock extends Clock {
    final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    volatile Thread holdOn;

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      if (Thread.currentThread() == holdOn) {
        holdOn = null;
        held.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Instant.now();
    }
  }

  @Test
  void aColdReadWhileTheFirstLoadIsSettlingJoinsItInsteadOfStartingAnother() throws Exception {
    // The first load's answer has arrived and is being settled (held at its clock reading): a
    // reader arriving now must get that answer, not start a second check and wait for it.
    HoldingClock clock = new HoldingClock();
    CompletableFuture<Result> answer = new CompletableFuture<>();
    RefreshingCache<String, Result> cache = new RefreshingCache<>(key -> {
      loads.incrementAndGet();
      return loads.get() == 1 ? answer : new CompletableFuture<>();
    }, POLICY, (k, b, a) -> { }, timing(60_000, 3_600_000, 60_000, 1_000), scheduler, clock);
    var first = cache.get("a").toCompletableFuture();
    Thread completer = new Thread(() -> answer.complete(new Result("pass", Duration.ofHours(1))), "completer");
    clock.holdOn = completer;
    completer.start();
    assertThat(clock.held.await(10, TimeUnit.SECONDS)).as("the load reached its settling").isTrue();
    var second = cache.get("a").toCompletableFuture();
    clock.release.countDown();
    assertThat(second.get(5, TimeUnit.SECONDS).value().verdict()).isEqualTo("pass");
    assertThat(first.get(5, TimeUnit.SECONDS)).isSameAs(second.get());
    assertThat(loads).as("checks started").hasValue(1);
    completer.join(5_000);
  }

  @Test
  void concurrentColdReadsShareOneLoad() throws Exception {
    RefreshingCache<String, Result> cache = new RefreshingCache<>(key -> {
      loads.incrementAndGet();
      return CompletableFuture.supplyAsync(() -> new Result("pass", Duration.ofHours(1)),
          CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
    }, POLICY, (k, b, a) -> { }, timing(60_000, 3_600_000, 60_000, 1_000), scheduler, Clock.systemUTC());
    var a = cache.get("a").toCompletableFuture();
    var b = cache.get("a").toCompletableFuture();
    assertThat(a.get(5, TimeUnit.SECONDS)).isSameAs(b.get(5, TimeUnit.SECONDS));
    assertThat(loads).hasValue(1);
  }

  @Test
  void refreshesInTheBackgroundBeforeExpiryClampedToMin() throws Exception {
    next.set(new Result("pass", Duration.ofMillis(1))); // clamped up to min = 300 ms
    RefreshingCache<String, Result> cache = cache(timing(300, 3_600_000, 60_000, 1_000));
    cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    long start = System.nanoTime();
    eventually(() -> assertThat(loads.get()).isGreaterThanOrEqualTo(3));
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // Two refreshes at ~270 ms each (TTL 300 ms minus a tenth): not a busy loop, not the 1 h maximum.
    assertThat(elapsedMs).isBetween(400L, 5_000L);
    assertThat(cache.peek("a")).isPresent();
    assertThat(changes).containsExactly("a:-->pass");
  }

  @Test
  void temporaryFailureServesTheLastDefinitiveValueUntilStaleMax() throws Exception {
    next.set(new Result("fail", Duration.ofMillis(200)));
    RefreshingCache<String, Result> cache = cache(timing(200, 200, 1_000, 50));
    cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    next.set(new Result("unknown", Duration.ZERO));
    eventually(() -> assertThat(cache.peek("a").orElseThrow().stale()).isTrue());
    Entry<Result> stale = cache.peek("a").orElseThrow();
    assertThat(stale.value().verdict()).isEqualTo("fail");
    // valid 200 ms + stale-max 1 s after the last good load, "unknown" takes over.
    eventually(() -> assertThat(cache.peek("a").orElseThrow().value().verdict()).isEqualTo("unknown"));
    // The change listener runs just after the new value is stored, so give it its moment.
    eventually(() -> assertThat(changes).containsExactly("a:-->fail", "a:fail->fail", "a:fail->unknown"));
    // DNS comes back: the next retry (50 ms) restores a definitive value.
    next.set(new Result("pass", Duration.ofMillis(200)));
    eventually(() -> assertThat(cache.peek("a").orElseThrow().value().verdict()).isEqualTo("pass"));
    assertThat(cache.peek("a").orElseThrow().stale()).isFalse();
  }

  @Test
  void coldTemporaryFailureIsServedAsIsAndRetried() throws Exception {
    next.set(new Result("unknown", Duration.ZERO));
    RefreshingCache<String, Result> cache = cache(timing(60_000, 60_000, 60_000, 50));
    assertThat(cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS).value().verdict()).isEqualTo("unknown");
    next.set(new Result("warn", Duration.ofHours(1)));
    eventually(() -> assertThat(cache.peek("a").orElseThrow().value().verdict()).isEqualTo("warn"));
  }

  @Test
  void loaderExceptionKeepsServingAndRetries() throws Exception {
    RefreshingCache<String, Result> cache = cache(timing(100, 100, 60_000, 50));
    cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    next.set(null);
    int before = loads.get();
    eventually(() -> assertThat(loads.get()).isGreaterThan(before + 2));
    assertThat(cache.peek("a").orElseThrow().value().verdict()).isEqualTo("pass");
    next.set(new Result("fail", Duration.ofHours(1)));
    eventually(() -> assertThat(cache.peek("a").orElseThrow().value().verdict()).isEqualTo("fail"));
  }

  @Test
  void retainOnlyStopsRefreshingRemovedKeys() throws Exception {
    next.set(new Result("pass", Duration.ofMillis(100)));
    RefreshingCache<String, Result> cache = cache(timing(100, 100, 60_000, 50));
    cache.get("a").toCompletableFuture().get(5, TimeUnit.SECONDS);
    cache.get("b").toCompletableFuture().get(5, TimeUnit.SECONDS);
    cache.retainOnly(List.of("b"));
    assertThat(cache.peek("a")).isEqualTo(Optional.empty());
    int loadsAfter = loads.get();
    Thread.sleep(500);
    // Only "b" keeps refreshing: about 5 loads in 500 ms, and none for "a".
    assertThat(cache.peek("a")).isEmpty();
    assertThat(loads.get() - loadsAfter).isBetween(2, 8);
  }
}
