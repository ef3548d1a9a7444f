package org.ptrguard.cli;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ptrguard.config.Settings;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.GenericNameClassifier;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityChecker;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.monitor.RelayProbe.RelayReport;
import org.ptrguard.monitor.RelayProbe;
import org.ptrguard.postfix.IdentityOverride;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.Route.SourceIdentity;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteModel;

/**
 * What {@code check} and {@code routes} share: the route model with ptrguard.conf's identities laid
 * over it, and one identity check per distinct (address, EHLO name) of the routes that reach
 * receivers directly.
 */
final class RouteChecks {
  /** A distinct identity: routes sharing an address and EHLO name are checked once. */
  record Key(InetAddress ip, String ehlo) {}

  /** The model, the report of every identity its direct routes use, and what was found of each relay. */
  record Checked(RouteModel model, Map<Key, IdentityReport> reports, String resolver, Map<Route, RelayReport> relays) {
    Optional<IdentityReport> report(SourceIdentity id) {
      return id.address().map(a -> reports.get(new Key(a, id.ehlo())));
    }

    /**
     * Relayed and local routes are not judged; a direct route is judged on the families whose source
     * address is known (a family without one is reported, not guessed), and is unknown without any.
     */
    Verdict verdict(Route r) {
      if (r.reach() == Reach.UNKNOWN) {
        return Verdict.UNKNOWN;
      }
      if (r.reach() != Reach.DIRECT) {
        return Verdict.PASS;
      }
      List<Verdict> verdicts = new ArrayList<>();
      for (SourceIdentity id : r.identities()) {
        if (id.address().isPresent()) {
          verdicts.add(report(id).map(IdentityReport::verdict).orElse(Verdict.UNKNOWN));
        }
      }
      return verdicts.isEmpty() ? Verdict.UNKNOWN : Verdict.worst(verdicts);
    }

    /**
     * For a direct route whose service prefers one family (smtp_address_preference) that passes while
     * the other does not: why that broken identity meets only some mail (the guard decides the same way).
     * The verdict stays the worst of both families: the broken identity is still used.
     */
    Optional<String> fallbackNote(Route r) {
      Optional<Route.Family> first = Route.preferredFamily(r.addressPreference());
      if (r.reach() != Reach.DIRECT || first.isEmpty()) {
        return Optional.empty();
      }
      Route.Family other = first.get() == Route.Family.IPV4 ? Route.Family.IPV6 : Route.Family.IPV4;
      Optional<Verdict> preferred = r.identity(first.get()).flatMap(this::report).map(IdentityReport::verdict);
      Optional<Verdict> fallback = r.identity(other).flatMap(this::report).map(IdentityReport::verdict);
      return preferred.filter(v -> v == Verdict.PASS).isPresent() && fallback.filter(v -> v != Verdict.PASS).isPresent()
          ? Optional.of(Route.fallbackNote(r.service(), first.get())) : Optional.empty();
    }

    /** The exit-code verdict: the worst over routes that reach receivers directly (and unknown ones). */
    Verdict overall() {
      List<Verdict> all = new ArrayList<>();
      model.routes().forEach(r -> all.add(verdict(r)));
      model.unavailable().ifPresent(u -> all.add(Verdict.UNKNOWN));
      return Verdict.worst(all);
    }
  }

  private RouteChecks() {}

  /** ptrguard.conf identities as overrides ("auto" values are not overrides). */
  static List<IdentityOverride> overrides(Settings settings) {
    List<IdentityOverride> out = new ArrayList<>();
    for (IdentitySettings id : settings.identities()) {
      out.add(new IdentityOverride(id.name(), id.literalIps(), id.ehlo(), id.senders(), id.services()));
    }
    return out;
  }

  /** Whether the daemon decides per route, and why: for the start-up log line. */
  record RouteModeChoice(boolean on, String reason) {}

  /**
   * {@code routes.enabled} made concrete at start: yes and no as written; auto is on when the file
   * writes no identities (the routes are then all ptrguard knows of the host's identities) and
   * postconf answers for the instance (a host without Postfix's tools keeps the built-in identity).
   */
  static RouteModeChoice routeMode(Settings.RouteSettings routes, PostfixTools tools) {
    switch (routes.enabled()) {
      case YES:
        return new RouteModeChoice(true, "routes.enabled = yes");
      case NO:
        return new RouteModeChoice(false, "routes.enabled = no");
      default:
        break;
    }
    if (routes.identitiesWritten()) {
      return new RouteModeChoice(false, "routes.enabled = auto and the configuration writes identities");
    }
    PostfixTools.Result probe = tools.postconf("-h", "mail_version");
    if (!probe.ok()) {
      return new RouteModeChoice(false, "routes.enabled = auto and " + probe.problem());
    }
    return new RouteModeChoice(true, "routes.enabled = auto, no identities written and postconf answers (Postfix "
        + probe.stdout().strip() + ")");
  }

  /** The instance named on the command line, else routes.postfix-config, else postconf's default (MAIL_CONFIG). */
  static RouteDiscovery discovery(Optional<Path> commandLine, Settings settings) {
    return discovery(commandLine.or(() -> settings.routes().postfixConfig()));
  }

  static RouteDiscovery discovery(Optional<Path> postfixConfig) {
    return new RouteDiscovery(PostfixTools.forInstance(postfixConfig));
  }

  static RouteModel discover(RouteDiscovery discovery, Settings settings) {
    return discovery.discover(overrides(settings));
  }

  /** One target per distinct identity of the direct routes, named after the override or the services using it. */
  static Map<Key, Target> targets(RouteModel model, Settings settings) {
    Map<Key, List<String>> services = new LinkedHashMap<>();
    Map<Key, SourceIdentity> first = new LinkedHashMap<>();
    for (Route r : model.routes()) {
      if (r.reach() != Reach.DIRECT) {
        continue;
      }
      for (SourceIdentity id : r.identities()) {
        if (id.address().isPresent()) {
          Key key = new Key(id.address().get(), id.ehlo());
          first.putIfAbsent(key, id);
          List<String> names = services.computeIfAbsent(key, k -> new ArrayList<>());
          if (!names.contains(r.service())) {
            names.add(r.service());
          }
        }
      }
    }
    Map<Key, Target> out = new LinkedHashMap<>();
    first.forEach((key, id) -> {
      String name = id.overriddenBy().orElse(String.join(",", services.get(key)));
      out.put(key, new Target(name, new Identity(name, key.ip(), key.ehlo(), genericPtr(settings, id.overriddenBy())),
          id.addressSource() + "; routes via " + String.join(", ", services.get(key)), id.ehloSource()));
    });
    return out;
  }

  /** Routes ptrguard cannot judge: unknown ones, and direct ones without any known address. */
  static List<String> unjudgeable(RouteModel model) {
    List<String> out = new ArrayList<>();
    model.unavailable().ifPresent(out::add);
    for (Route r : model.routes()) {
      if (r.reach() == Reach.UNKNOWN || r.reach() == Reach.DIRECT && r.identities().stream().allMatch(i -> i.address().isEmpty())) {
        out.add("route " + r.label() + " is unknown: " + String.join("; ", r.problems()));
      }
    }
    return out;
  }

  /** Runs one check per distinct identity of the direct routes, and probes every relay, all at once. */
  static Checked check(RouteModel model, Settings settings, DnsOptions dns) throws Exception {
    Map<Key, IdentityReport> reports = new LinkedHashMap<>();
    String resolver;
    try (Relays relays = new Relays(dns, model, model.routes());
        IdentityChecker checker = new IdentityChecker(dns, GenericNameClassifier.standard())) {
      resolver = checker.resolverLabel();
      Map<Key, CompletableFuture<IdentityReport>> running = new LinkedHashMap<>();
      targets(model, settings).forEach((k, t) -> running.put(k, checker.check(t.identity()).toCompletableFuture()));
      for (Map.Entry<Key, CompletableFuture<IdentityReport>> e : running.entrySet()) {
        reports.put(e.getKey(), e.getValue().get(dns.checkBudget().toMillis() + 5_000, TimeUnit.MILLISECONDS));
      }
      return new Checked(model, reports, resolver, relays.await());
    }
  }

  /**
   * The relay of every relayed route among {@code routes}, probed in the background from the moment
   * this is made ({@link RelayProbe}: name resolution through ptrguard's resolver, a bounded TCP connect).
   */
  static final class Relays implements AutoCloseable {
    private final ExecutorService executor;
    private final RelayProbe probe;
    private final Map<Route, CompletableFuture<RelayReport>> running = new LinkedHashMap<>();
    private final Duration budget;

    Relays(DnsOptions dns, RouteModel model, List<Route> routes) {
      // MX, then A and AAAA (each may try every resolver), then one connect: the whole probe's bound
      budget = dns.timeout().multipliedBy(4L * Math.max(1, dns.resolvers().size()))
          .plus(RelayProbe.CONNECT_TIMEOUT).plusSeconds(2);
      List<Route> relayed = routes.stream().filter(r -> r.reach() == Reach.RELAYED).distinct().toList();
      if (relayed.isEmpty()) {
        executor = null;
        probe = null;
        return;
      }
      executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "ptrguard-relay-dns");
        t.setDaemon(true);
        return t;
      });
      RelayProbe made = null;
      try {
        made = new RelayProbe(new DnsClient(dns.resolvers(), dns.timeout(), executor, new DnsCounters()),
            RelayProbe.CONNECT_TIMEOUT);
      } catch (IllegalArgumentException e) {
        relayed.forEach(r -> running.put(r, CompletableFuture.completedFuture(notProbed(r, e.getMessage()))));
      }
      probe = made;
      if (probe != null) {
        relayed.forEach(r -> running.put(r, probe.probe(r, model)));
      }
    }

    private static RelayReport notProbed(Route r, String why) {
      return new RelayReport(r.service(), r.nexthop().text(), List.of(),
          List.of("relay " + r.nexthop().text() + ": not probed (" + why + "); whether it resolves and accepts "
              + "connections is not known"));
    }

    /** Every report; a probe still running after its bound is reported as such. */
    Map<Route, RelayReport> await() throws InterruptedException {
      long deadline = System.nanoTime() + budget.toNanos();
      Map<Route, RelayReport> out = new LinkedHashMap<>();
      for (Map.Entry<Route, CompletableFuture<RelayReport>> e : running.entrySet()) {
        try {
          out.put(e.getKey(), e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException | ExecutionException ex) {
          out.put(e.getKey(), notProbed(e.getKey(), ex instanceof TimeoutException
              ? "the probe did not finish within " + budget.toSeconds() + " s" : String.valueOf(ex.getCause())));
        }
      }
      return out;
    }

    @Override
    public void close() {
      if (probe != null) {
        probe.close();
      }
      if (executor != null) {
        executor.shutdownNow();
      }
    }
  }

  private static Identity.GenericPtr genericPtr(Settings settings, Optional<String> identityName) {
    return settings.identities().stream()
        .filter(i -> identityName.isEmpty() || i.name().equals(identityName.get()))
        .findFirst().map(i -> Identity.GenericPtr.valueOf(i.genericPtr().name())).orElse(Identity.GenericPtr.WARN);
  }

  /** Hand-written identities that apply to no service of the model (kept and checked as written). */
  static List<IdentitySettings> unmatched(RouteDiscovery discovery, RouteModel model, Settings settings) {
    List<IdentitySettings> out = new ArrayList<>();
    if (model.unavailable().isPresent()) {
      return List.copyOf(settings.identities());
    }
    List<IdentityOverride> overrides = overrides(settings);
    for (int i = 0; i < overrides.size(); i++) {
      IdentityOverride o = overrides.get(i);
      if (o.changesAnything() && discovery.servicesOf(model.config(), o).stream()
          .noneMatch(s -> model.service(s).isPresent())) {
        out.add(settings.identities().get(i));
      }
    }
    return out;
  }
}
