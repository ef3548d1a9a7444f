package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.LogValues;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.IdentityOverride;
import org.ptrguard.postfix.RouteModel;
import org.ptrguard.postfix.RouteWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one verdict per distinct route identity (source address + EHLO name: services that share
 * one are checked once), refreshed in the background by TTL, and serves them as a
 * {@link RouteSnapshot} rebuilt whenever a verdict or the route model changes. The model comes from
 * a {@link RouteWatcher} (re-read on reload and when a table, main.cf or master.cf changes on disk),
 * off the SMTP path.
 */
public final class RouteStatuses implements RouteStatusSource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("org.ptrguard.routes");
  /** How often the watched Postfix files are stat'ed for changes. */
  public static final Duration WATCH_INTERVAL = Duration.ofSeconds(2);

  private final RouteWatcher watcher;
  private final ScheduledExecutorService scheduler;
  private final RefreshingCache<Identity, IdentityReport> cache;
  private final DestinationFamilies families;
  private final RecipientMxFamilies recipients;
  private final Clock clock;
  private final DnsCounters lookups;
  private final SwappableChecker checker;
  private volatile RouteModel model;
  private volatile RouteSnapshot snapshot = RouteSnapshot.INACTIVE;
  private volatile CompletableFuture<Void> loaded;

  private RouteStatuses(Settings settings, RouteWatcher watcher, DnsCounters lookups, Clock clock) {
    this.watcher = watcher;
    this.lookups = lookups;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ptrguard-routes");
      t.setDaemon(true);
      return t;
    });
    this.checker = new SwappableChecker(settings.dns(), lookups, scheduler);
    DnsOptions dns = checker.options();
    this.cache = new RefreshingCache<>(id -> checker.check(id), ReportPolicy.INSTANCE, this::changed,
        ReportPolicy.timing(settings), scheduler, clock);
    this.families = new DestinationFamilies(
        new DnsClient(dns.resolvers(), dns.timeout(), scheduler, lookups), scheduler, clock);
    this.recipients = new RecipientMxFamilies(clock);
    this.clock = clock;
    this.loaded = apply(watcher.current());
    watcher.onChange(m -> loaded = apply(m));
  }

  /**
   * Starts checking every route identity of the watcher's model in the background; until the first
   * snapshot is built, sessions are decided as without routes. Takes ownership of the watcher.
   *
   * @param lookups where this monitor's DNS lookups are counted: the identity monitor's
   *     {@link IdentityMonitor#lookups()}, so that {@code ptrguard_dns_lookups_total} counts them too
   */
  public static RouteStatuses start(Settings settings, RouteWatcher watcher, DnsCounters lookups) {
    return new RouteStatuses(settings, watcher, lookups, Clock.systemUTC());
  }

  /** Starts checks for the model's identities (the others are forgotten) and serves the model. */
  private CompletableFuture<Void> apply(RouteModel next) {
    return CompletableFuture.runAsync(() -> {
      model = next;
      Set<Identity> ids = identities(next);
      cache.retainOnly(ids);
      ids.forEach(cache::get);
      for (Route r : next.routes()) {
        LOG.info("event=route service={} selection={} nexthop={} reach={} identities={}",
            LogValues.of(r.service()), LogValues.of(r.selection().describe()), LogValues.of(r.nexthop().text()),
            r.reach().word(), LogValues.of(describe(r)));
      }
      rebuild();
    }, scheduler);
  }

  private static String describe(Route r) {
    StringBuilder s = new StringBuilder();
    for (Route.SourceIdentity id : r.identities()) {
      s.append(s.length() == 0 ? "" : ",").append(id.family().word()).append(':')
          .append(id.address().map(Addresses::text).orElse("-")).append('/').append(id.ehlo());
    }
    return s.length() == 0 ? "-" : s.toString();
  }

  /** Every smtp service's identities, whatever the tables say today: Postfix may pick any of them. */
  private static Set<Identity> identities(RouteModel model) {
    Set<Identity> ids = new LinkedHashSet<>();
    model.services().values().stream().filter(s -> s.command().equals("smtp"))
        .forEach(s -> s.identities().forEach(id -> RouteSnapshot.checkedAs(id).ifPresent(ids::add)));
    return ids;
  }

  private synchronized void rebuild() {
    RouteModel m = model;
    if (m != null) {
      snapshot = RouteSnapshot.of(m, id -> cache.peek(id).map(RouteStatuses::status));
    }
  }

  private static IdentityStatus status(RefreshingCache.Entry<IdentityReport> e) {
    IdentityReport r = e.value();
    return new IdentityStatus("route", Addresses.text(r.identity().ip()), r.ptrNames(), r.identity().ehlo(), r.verdict(),
        r.codes(), r.findings().isEmpty() ? "" : r.findings().get(0).message(), e.stale());
  }

  private void changed(Identity id, Optional<IdentityReport> before, IdentityReport after) {
    if (before.isEmpty() || before.get().verdict() != after.verdict()) {
      String line = "event=route-identity ip={} ehlo={} from={} to={} codes={}";
      Object[] args = {Addresses.text(id.ip()), LogValues.of(id.ehlo()), before.map(b -> b.verdict().word()).orElse("-"),
          after.verdict().word(), LogValues.of(after.codes().isEmpty() ? "-" : String.join(",", after.codes()))};
      if (after.verdict() == Verdict.PASS) {
        LOG.info(line, args);
      } else {
        LOG.warn(line, args);
      }
    }
    rebuild();
  }

  /**
   * One route identity as the daemon serves it now (for {@code ptrguard status}).
   *
   * @param services the smtp services of master.cf that send with it, in name order
   * @param nextCheck when it is checked next; empty when nothing is scheduled
   */
  public record LiveIdentity(Identity identity, List<String> services, Optional<IdentityReport> report,
      Optional<Instant> checkedAt, boolean stale, Optional<Instant> nextCheck) {
    public LiveIdentity {
      services = List.copyOf(services);
    }
  }

  /** Every identity of the current route model, with its cached report; empty before the model is read. */
  public List<LiveIdentity> live() {
    RouteModel m = model;
    if (m == null) {
      return List.of();
    }
    Map<Identity, List<String>> services = new LinkedHashMap<>();
    m.services().values().stream().filter(s -> s.command().equals("smtp"))
        .sorted(Comparator.comparing(RouteModel.ServiceModel::name))
        .forEach(s -> s.identities().forEach(id -> RouteSnapshot.checkedAs(id)
            .ifPresent(i -> services.computeIfAbsent(i, k -> new ArrayList<>()).add(s.name()))));
    List<LiveIdentity> out = new ArrayList<>();
    services.forEach((id, names) -> {
      Optional<RefreshingCache.Entry<IdentityReport>> e = cache.peek(id);
      out.add(new LiveIdentity(id, names, e.map(RefreshingCache.Entry::value), e.map(RefreshingCache.Entry::loadedAt),
          e.map(RefreshingCache.Entry::stale).orElse(false), cache.nextLoad(id)));
    });
    return out;
  }

  @Override
  public RouteSnapshot snapshot() {
    return snapshot;
  }

  @Override
  public Optional<Set<Family>> destinationFamilies(String domain) {
    return families.peek(domain);
  }

  /** Counts the recipients of routes that send over IPv6, by whether their mail exchangers have IPv6. */
  @Override
  public void recipientSeen(RouteStatus route, String recipient, String recipientDomain, boolean refused) {
    if (route.ipv6().isPresent()) {
      recipients.count(route.route(), recipient, refused, () -> families.learn(recipientDomain));
    }
  }

  /**
   * One route that sends over IPv6, with its recipients of the last 24 h (see {@link RecipientMxFamilies}).
   *
   * @param ipv6 the IPv6 identity's status now; {@code ipv4} the IPv4 one's, if the route has one
   */
  public record Ipv6Share(RecipientMxFamilies.Share counted, IdentityStatus ipv6, Optional<IdentityStatus> ipv4) {}

  /**
   * Every direct route of the current model that sends over IPv6, and every service with recipients
   * counted (a table check cannot list may pick it), with what was counted for it: zero recipients
   * when none was, as recipients are only looked at while some route is not healthy.
   */
  public List<Ipv6Share> ipv6Shares() {
    RouteSnapshot s = snapshot;
    RouteModel m = model;
    if (m == null) {
      return List.of();
    }
    Map<String, RecipientMxFamilies.Share> counted = new java.util.HashMap<>();
    recipients.last24h().forEach(c -> counted.put(c.route(), c));
    java.util.SortedSet<String> services = new java.util.TreeSet<>(counted.keySet());
    m.routes().stream().filter(r -> r.reach() == Route.Reach.DIRECT).forEach(r -> services.add(r.service()));
    List<Ipv6Share> out = new ArrayList<>();
    for (String service : services) {
      // the statuses as a recipient of this service sees them (MX delivery: the identities are the service's)
      RouteStatus r = s.resolve(Optional.of(service), Optional.empty(), "");
      if (r.reach() == Route.Reach.DIRECT && r.ipv6().isPresent()) {
        out.add(new Ipv6Share(counted.getOrDefault(service,
            new RecipientMxFamilies.Share(service, 0, 0, 0, clock.instant())), r.ipv6().get(), r.ipv4()));
      }
    }
    return out;
  }

  /** Waits until the model is read and every route identity has a first verdict; true if so in time. */
  public boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException {
    try {
      loaded.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      RouteModel m = model;
      if (m == null) {
        return false;
      }
      CompletableFuture<?>[] loads = identities(m).stream().map(id -> cache.get(id).toCompletableFuture())
          .toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(loads).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  /** Re-checks every route identity not checked at or after {@code since}; completes when all are done. */
  public CompletableFuture<Void> recheck(java.time.Instant since) {
    RouteModel m = model;
    if (m == null) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.allOf(identities(m).stream()
        .map(id -> cache.refreshUnlessSince(id, since).toCompletableFuture()).toArray(CompletableFuture[]::new));
  }

  /**
   * Reload: new refresh timing, and Postfix's routes re-read with the new overrides; identities that
   * did not change keep their verdicts.
   */
  public void update(Settings settings, List<IdentityOverride> overrides) {
    checker.update(settings.dns());
    cache.setTiming(ReportPolicy.timing(settings));
    watcher.reload(overrides);
  }

  @Override
  public void close() {
    watcher.close();
    scheduler.shutdownNow();
    checker.close();
  }
}
