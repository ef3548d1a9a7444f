package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.monitor.IdentityTargets.Resolution;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.monitor.RefreshingCache;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.Metrics;
import org.ptrguard.postfix.IdentityDiscovery;

/**
 * The identity monitor behind the guard: resolves the configured identities (discovery runs off
 * the SMTP path), checks each address in the background, keeps the reports by TTL and serves an
 * identity's worst address as its status. Its log lines are {@link IdentityEventLog}'s, its metrics
 * {@link MonitorMetrics}'.
 */
public final class IdentityStatuses implements IdentityMonitor {
  private final IdentityDiscovery discovery;
  private final ScheduledExecutorService scheduler;
  private final RefreshingCache<Identity, IdentityReport> cache;
  private final SwappableChecker checker;
  /** The statuses of the configuration last prepared (by start or {@link #update}). */
  private volatile View current;
  /** Lookups of every checker this monitor has had: a reload that swaps the checker keeps counting. */
  private final DnsCounters lookups = new DnsCounters();

  private IdentityStatuses(Settings settings, Metrics metrics, IdentityDiscovery discovery, Clock clock) {
    this.discovery = discovery;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ptrguard-refresh");
      t.setDaemon(true);
      return t;
    });
    this.checker = new SwappableChecker(settings.dns(), lookups, scheduler);
    this.cache = new RefreshingCache<>(identity -> checker.check(identity), ReportPolicy.INSTANCE, IdentityEventLog::changed, ReportPolicy.timing(settings), scheduler, clock);
    MonitorMetrics.register(metrics, this::currentVerdicts, lookups);
    this.current = new View(resolveAsync(settings));
  }

  /** Starts checking every configured identity at once, in the background. */
  public static IdentityStatuses start(Settings settings, Metrics metrics) {
    return start(settings, metrics, IdentityDiscovery.system());
  }

  public static IdentityStatuses start(Settings settings, Metrics metrics, IdentityDiscovery discovery) {
    return new IdentityStatuses(settings, metrics, discovery, Clock.systemUTC());
  }

  private CompletableFuture<Resolution> resolveAsync(Settings settings) {
    CompletableFuture<Resolution> r = CompletableFuture.supplyAsync(() -> {
      Resolution res = IdentityTargets.resolve(settings.identities(), discovery);
      IdentityEventLog.resolved(res);
      res.targets().forEach(t -> cache.get(t.identity()));
      return res;
    }, scheduler);
    return r;
  }

  @Override
  public Optional<IdentityStatus> peek(String identity) {
    return current.peek(identity);
  }

  @Override
  public CompletionStage<IdentityStatus> status(String identity) {
    return current.status(identity);
  }

  @Override
  public DnsCounters lookups() {
    return lookups;
  }

  @Override
  public IdentityStatusSource current() {
    return current;
  }

  /**
   * The statuses of one configuration's identities: one resolution of them, over the shared cache.
   * The guard holds a view together with the settings it belongs to and swaps both at once on
   * reload, so a decision never pairs one configuration's mode with another's identity.
   */
  private final class View implements IdentityStatusSource {
    private final CompletableFuture<Resolution> resolution;
    private final Map<String, Served> served = new ConcurrentHashMap<>();

    View(CompletableFuture<Resolution> resolution) {
      this.resolution = resolution;
    }

    @Override
    public Optional<IdentityStatus> peek(String identity) {
      CompletableFuture<Resolution> r = resolution;
      if (!r.isDone()) {
        return Optional.empty();
      }
      Resolution res = r.join();
      Served last = served.get(identity);
      if (last != null && last.stillCurrent(cache)) {
        return last.status(); // the usual case: nothing changed since the last session asked
      }
      List<Target> targets = IdentityTargets.of(res.targets(), identity);
      if (targets.isEmpty()) {
        return Optional.of(unresolved(identity));
      }
      List<RefreshingCache.Entry<IdentityReport>> entries = new ArrayList<>();
      for (Target t : targets) {
        Optional<RefreshingCache.Entry<IdentityReport>> e = cache.peek(t.identity());
        if (e.isEmpty()) {
          return Optional.empty();
        }
        entries.add(e.get());
      }
      Optional<IdentityStatus> status = Optional.of(worst(identity, entries));
      served.put(identity, new Served(targets, entries, status));
      return status;
    }

    @Override
    public CompletionStage<IdentityStatus> status(String identity) {
      return resolution.thenCompose(r -> {
        List<Target> targets = IdentityTargets.of(r.targets(), identity);
        if (targets.isEmpty()) {
          return CompletableFuture.completedFuture(unresolved(identity));
        }
        List<CompletableFuture<RefreshingCache.Entry<IdentityReport>>> loads =
            targets.stream().map(t -> cache.get(t.identity()).toCompletableFuture()).toList();
        return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
            .thenApply(v -> worst(identity, loads.stream().map(CompletableFuture::join).toList()));
      });
    }

    /** Completes when every target has a first verdict, or after {@code budget}. */
    CompletableFuture<View> firstVerdicts(Duration budget) {
      return resolution.thenCompose(r -> CompletableFuture.allOf(r.targets().stream()
              .map(t -> cache.get(t.identity()).toCompletableFuture()).toArray(CompletableFuture[]::new)))
          .completeOnTimeout(null, budget.toMillis(), TimeUnit.MILLISECONDS)
          .handle((v, e) -> this);
    }
  }

  /**
   * The status last built for an identity and the cache entries it was built from. Every session asks
   * for the status; building it anew each time was a tenth of what ptrguard allocated per session.
   * A refresh replaces the cache entry object, so comparing entries by identity is enough.
   */
  private record Served(List<Target> targets, List<RefreshingCache.Entry<IdentityReport>> entries,
      Optional<IdentityStatus> status) {
    boolean stillCurrent(RefreshingCache<Identity, IdentityReport> cache) {
      for (int i = 0; i < targets.size(); i++) {
        if (cache.peek(targets.get(i).identity()).orElse(null) != entries.get(i)) {
          return false;
        }
      }
      return true;
    }
  }

  @Override
  public boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException {
    try {
      Resolution r = current.resolution.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      CompletableFuture<?>[] loads = r.targets().stream()
          .map(t -> cache.get(t.identity()).toCompletableFuture()).toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(loads).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return r.problems().isEmpty();
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  /**
   * Prepares the statuses of {@code settings}' identities and returns them once each has a first
   * verdict (or the check budget has passed). Until then this monitor, and the guard holding the
   * previous view, keep serving the previous configuration's verdicts: an identity a reload leaves
   * unchanged is still in the cache, so its view is ready at once and no session waits.
   */
  @Override
  public CompletionStage<IdentityStatusSource> update(Settings settings) {
    checker.update(settings.dns());
    cache.setTiming(ReportPolicy.timing(settings));
    View view = new View(resolveAsync(settings));
    return view.firstVerdicts(settings.dns().checkBudget()).thenApply(v -> {
      current = v;
      // Addresses no configuration uses any more leave the cache once sessions deciding with the
      // previous view are done with them (a decision holds a view at most the check budget).
      scheduler.schedule(this::retainCurrent, settings.dns().checkBudget().toMillis() + 1000, TimeUnit.MILLISECONDS);
      return v;
    });
  }

  @Override
  public LiveView live() {
    CompletableFuture<Resolution> r = current.resolution;
    if (!r.isDone() || r.isCompletedExceptionally()) {
      return new LiveView(List.of(), List.of());
    }
    List<LiveTarget> out = new ArrayList<>();
    for (Target t : r.join().targets()) {
      Optional<RefreshingCache.Entry<IdentityReport>> e = cache.peek(t.identity());
      out.add(new LiveTarget(t, e.map(RefreshingCache.Entry::value), e.map(RefreshingCache.Entry::loadedAt),
          e.map(RefreshingCache.Entry::stale).orElse(false), cache.nextLoad(t.identity())));
    }
    return new LiveView(out, r.join().problems());
  }

  @Override
  public CompletionStage<Void> recheck(java.time.Instant since) {
    return current.resolution.thenCompose(r -> CompletableFuture.allOf(r.targets().stream()
        .map(t -> cache.refreshUnlessSince(t.identity(), since).toCompletableFuture())
        .toArray(CompletableFuture[]::new)));
  }

  private void retainCurrent() {
    CompletableFuture<Resolution> r = current.resolution;
    if (r.isDone() && !r.isCompletedExceptionally()) {
      cache.retainOnly(r.join().targets().stream().map(Target::identity).toList());
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    checker.close();
  }

  // ---- status of an identity = its worst address

  private static IdentityStatus worst(String identity, List<RefreshingCache.Entry<IdentityReport>> entries) {
    RefreshingCache.Entry<IdentityReport> worst = entries.get(0);
    for (RefreshingCache.Entry<IdentityReport> e : entries) {
      if (e.value().verdict().isWorseThan(worst.value().verdict())) {
        worst = e;
      }
    }
    IdentityReport r = worst.value();
    return new IdentityStatus(identity, Addresses.text(r.identity().ip()), r.ptrNames(), r.identity().ehlo(),
        r.verdict(), r.codes(),
        r.findings().isEmpty() ? "" : r.findings().get(0).message(), worst.stale());
  }

  private static IdentityStatus unresolved(String identity) {
    return IdentityStatus.unknown(identity, "-", "-", "no outbound address could be determined for this identity");
  }

  private List<MonitorMetrics.TargetVerdict> currentVerdicts() {
    List<MonitorMetrics.TargetVerdict> out = new ArrayList<>();
    CompletableFuture<Resolution> r = current.resolution;
    if (r.isDone() && !r.isCompletedExceptionally()) {
      for (Target t : r.join().targets()) {
        Optional<RefreshingCache.Entry<IdentityReport>> e = cache.peek(t.identity());
        out.add(new MonitorMetrics.TargetVerdict(t, e.map(x -> x.value().verdict()), e.map(RefreshingCache.Entry::loadedAt)));
      }
    }
    return out;
  }
}
