package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.Addresses;
import org.ptrguard.identity.GenericNameClassifier;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityChecker;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.RefreshingCache;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.DestinationFamilies.Family;
import org.ptrguard.ops.LogValues;
import org.ptrguard.policy.IdentityStatus;
import org.ptrguard.policy.IdentityTargets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one verdict per distinct route identity (source address + EHLO name: services that share
 * one are checked once), refreshed in the background by TTL, and serves them as a
 * {@link RouteSnapshot} rebuilt whenever a verdict or the route model changes. The route model is
 * read off the SMTP path, at start and on {@link #update}.
 */
public final class RouteStatuses implements RouteStatusSource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("org.ptrguard.identity");
  /** Route identities are keyed without a name, so two services with the same address and EHLO share a check. */
  private static final String KEY_NAME = "route";

  private final Supplier<List<ServiceRoute>> model;
  private final ScheduledExecutorService scheduler;
  private final RefreshingCache<Identity, IdentityReport> cache;
  private final DestinationFamilies families;
  private volatile IdentityChecker checker;
  private volatile List<ServiceRoute> routes = List.of();
  private volatile RouteSnapshot snapshot;
  private volatile CompletableFuture<Void> loaded;

  private RouteStatuses(Settings settings, Supplier<List<ServiceRoute>> model, Clock clock) {
    this.model = model;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ptrguard-routes");
      t.setDaemon(true);
      return t;
    });
    DnsOptions dns = IdentityTargets.dnsOptions(settings.dns());
    this.checker = new IdentityChecker(dns, GenericNameClassifier.standard());
    this.cache = new RefreshingCache<>(id -> checker.check(id), new RefreshingCache.ValuePolicy<>() {
      @Override
      public Duration ttl(IdentityReport report) {
        return report.minTtl();
      }

      @Override
      public boolean definitive(IdentityReport report) {
        return report.verdict() != Verdict.UNKNOWN;
      }
    }, (id, before, after) -> changed(id, before, after), timing(settings), scheduler, clock);
    this.families = new DestinationFamilies(
        new DnsClient(dns.resolvers(), dns.timeout(), scheduler, new DnsCounters()), scheduler, clock);
    // Not active until the model is read: sessions decide as before meanwhile.
    this.snapshot = RouteSnapshot.INACTIVE;
    this.loaded = load();
  }

  /** Reads the route model and starts checking every route identity, all in the background. */
  public static RouteStatuses start(Settings settings, Supplier<List<ServiceRoute>> model) {
    return new RouteStatuses(settings, model, Clock.systemUTC());
  }

  private static RefreshingCache.Timing timing(Settings s) {
    Duration retry = s.refresh().min().compareTo(Duration.ofSeconds(30)) < 0 ? s.refresh().min() : Duration.ofSeconds(30);
    return new RefreshingCache.Timing(s.refresh().min(), s.refresh().max(), s.dns().staleMax(), retry);
  }

  private CompletableFuture<Void> load() {
    return CompletableFuture.runAsync(() -> {
      List<ServiceRoute> next;
      try {
        next = keyed(model.get());
      } catch (RuntimeException e) {
        LOG.warn("event=routes-unreadable error={} note=\"keeping the routes read before\"", LogValues.of(e));
        return;
      }
      routes = next;
      Set<Identity> ids = identities(next);
      cache.retainOnly(ids);
      ids.forEach(cache::get);
      for (ServiceRoute r : next) {
        LOG.info("event=route service={} delivery={} ipv4={} ipv6={} ehlo={}", LogValues.of(r.service()),
            r.delivery().name().toLowerCase(java.util.Locale.ROOT),
            r.ipv4().map(i -> Addresses.text(i.ip())).orElse("-"), r.ipv6().map(i -> Addresses.text(i.ip())).orElse("-"),
            LogValues.of(r.ipv4().or(r::ipv6).map(Identity::ehlo).orElse("-")));
      }
      rebuild();
    }, scheduler);
  }

  private static List<ServiceRoute> keyed(List<ServiceRoute> routes) {
    List<ServiceRoute> out = new ArrayList<>();
    for (ServiceRoute r : routes) {
      out.add(new ServiceRoute(r.service(), r.delivery(), r.ipv4().map(RouteStatuses::key), r.ipv6().map(RouteStatuses::key),
          r.ipv4Source(), r.ipv6Source()));
    }
    return List.copyOf(out);
  }

  private static Identity key(Identity id) {
    return new Identity(KEY_NAME, id.ip(), id.ehlo(), id.genericIsFail());
  }

  private static Set<Identity> identities(List<ServiceRoute> routes) {
    Set<Identity> ids = new LinkedHashSet<>();
    for (ServiceRoute r : routes) {
      if (r.delivery() == ServiceRoute.Delivery.SMTP) {
        r.ipv4().ifPresent(ids::add);
        r.ipv6().ifPresent(ids::add);
      }
    }
    return ids;
  }

  private synchronized void rebuild() {
    snapshot = RouteSnapshot.of(routes, id -> cache.peek(id).map(e -> status(e)));
  }

  private static IdentityStatus status(RefreshingCache.Entry<IdentityReport> e) {
    IdentityReport r = e.value();
    return new IdentityStatus(KEY_NAME, Addresses.text(r.identity().ip()), r.ptrNames(), r.identity().ehlo(), r.verdict(),
        r.codes(), r.findings().isEmpty() ? "" : r.findings().get(0).message(), e.stale());
  }

  private void changed(Identity id, Optional<IdentityReport> before, IdentityReport after) {
    String codes = after.codes().isEmpty() ? "-" : String.join(",", after.codes());
    String services = String.join(",", routes.stream()
        .filter(r -> r.ipv4().filter(id::equals).isPresent() || r.ipv6().filter(id::equals).isPresent())
        .map(ServiceRoute::service).toList());
    if (before.isEmpty() || before.get().verdict() != after.verdict()) {
      String line = "event=route-identity services={} ip={} ehlo={} from={} to={} codes={}";
      Object[] args = {LogValues.of(services.isEmpty() ? "-" : services), Addresses.text(id.ip()), LogValues.of(id.ehlo()),
          before.map(b -> b.verdict().word()).orElse("-"), after.verdict().word(), LogValues.of(codes)};
      if (after.verdict() == Verdict.PASS) {
        LOG.info(line, args);
      } else {
        LOG.warn(line, args);
      }
    }
    rebuild();
  }

  @Override
  public RouteSnapshot snapshot() {
    return snapshot;
  }

  @Override
  public Optional<Set<Family>> destinationFamilies(String domain) {
    return families.peek(domain);
  }

  /** Waits until the model is read and every route identity has a first verdict; true if so in time. */
  public boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException {
    try {
      loaded.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      CompletableFuture<?>[] loads = identities(routes).stream().map(id -> cache.get(id).toCompletableFuture())
          .toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(loads).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  /** Re-reads the route model (reload); identities that did not change keep their verdicts. */
  public void update(Settings settings) {
    cache.setTiming(timing(settings));
    loaded = load();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    checker.close();
  }
}
