package org.ptrguard.postfix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.ptrguard.postfix.Route.Nexthop;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.Route.Selection;
import org.ptrguard.postfix.Route.SourceIdentity;

/**
 * Postfix's delivery routes as discovered at start or reload ({@link RouteDiscovery}): immutable,
 * so a reload swaps the whole model. {@link #lookup} serves the SMTP path: it takes what Postfix
 * already resolved for a recipient ({@code {rcpt_mailer}}, {@code {rcpt_host}}) and answers from
 * memory, without forking, DNS or waiting.
 *
 * <p>Stable public shape: {@link #routes()}, {@link #problems()}, {@link #lookup(String, String, String)},
 * {@link #service(String)}, {@link #changedOnDisk()} and {@link #unavailable()} keep their meaning;
 * new methods may be added.
 */
public final class RouteModel {
  /** What the model knows about one master.cf service, independent of the nexthop. */
  public record ServiceModel(String name, String command, List<SourceIdentity> identities, String addressPreference,
      List<String> problems) {
    public ServiceModel {
      identities = List.copyOf(identities);
      problems = List.copyOf(problems);
    }
  }

  private static final int LOOKUP_CACHE_LIMIT = 4096;

  private final List<Route> routes;
  private final Map<String, ServiceModel> services;
  private final Set<String> relayhostNexthops;
  private final List<String> problems;
  private final List<String> notes;
  private final Map<Path, Optional<FileTime>> watched;
  private final Optional<String> unavailable;
  private final PostfixConfig config;
  private final Map<String, Route> lookupCache = new ConcurrentHashMap<>();

  RouteModel(List<Route> routes, Map<String, ServiceModel> services, Set<String> relayhostNexthops,
      List<String> problems, List<String> notes, Map<Path, Optional<FileTime>> watched, Optional<String> unavailable,
      PostfixConfig config) {
    this.config = config;
    this.routes = List.copyOf(routes);
    this.services = Map.copyOf(services);
    this.relayhostNexthops = Set.copyOf(relayhostNexthops);
    this.problems = List.copyOf(problems);
    this.notes = List.copyOf(notes);
    this.watched = Map.copyOf(watched);
    this.unavailable = unavailable;
  }

  /** Every route the configuration names, in the order Postfix considers them. */
  public List<Route> routes() {
    return routes;
  }

  /** What could not be modelled (each names the parameter or table); empty when all is known. */
  public List<String> problems() {
    return problems;
  }

  /** Remarks that are not problems (tables whose entries cannot be listed, virtual alias domains). */
  public List<String> notes() {
    return notes;
  }

  /** Present when Postfix's configuration could not be read at all (postconf missing or failing). */
  public Optional<String> unavailable() {
    return unavailable;
  }

  /** The postconf snapshot the model was built from. */
  public PostfixConfig config() {
    return config;
  }

  public Optional<ServiceModel> service(String name) {
    return Optional.ofNullable(services.get(name));
  }

  public Map<String, ServiceModel> services() {
    return services;
  }

  /** A parameter as one service sees it: its master.cf -o, else main.cf (or Postfix's default). */
  public String setting(String service, String parameter) {
    return config.service(service).map(s -> RouteDiscovery.setting(config, s, parameter).value())
        .orElse(config.parameter(parameter));
  }

  /**
   * The source address a service binds to in one family ({@code smtp_bind_address} or
   * {@code smtp_bind_address6}), as Postfix itself would, without any ptrguard.conf override (those
   * name the public address behind NAT, not one this host has).
   */
  public Optional<java.net.InetAddress> bindAddress(String service, Route.Family family) {
    String parameter = RouteDiscovery.bindParameter(family);
    return RouteDiscovery.bindLiteral(new RouteDiscovery.Valued(setting(service, parameter), parameter), family);
  }

  /** The address families a service may send over ({@code inet_protocols}, its -o or main.cf). */
  public Set<Route.Family> families(String service) {
    return RouteDiscovery.families(setting(service, "inet_protocols"));
  }

  /** The files (main.cf, master.cf, table files) whose change makes this model stale. */
  public Set<Path> watchedFiles() {
    return watched.keySet();
  }

  /** True when a watched file's modification time differs from when the model was built (a stat per file). */
  public boolean changedOnDisk() {
    for (Map.Entry<Path, Optional<FileTime>> w : watched.entrySet()) {
      if (!w.getValue().equals(modified(w.getKey()))) {
        return true;
      }
    }
    return false;
  }

  static Optional<FileTime> modified(Path p) {
    try {
      return Optional.of(Files.getLastModifiedTime(p));
    } catch (java.io.IOException | SecurityException e) {
      return Optional.empty();
    }
  }

  /**
   * The route of one recipient as Postfix resolved it. Memory only: safe on an event loop.
   *
   * @param mailer {@code {rcpt_mailer}}: the master.cf service (smtp-b, relay, local, lmtp, ...)
   * @param nexthop {@code {rcpt_host}}: the recipient domain for MX delivery, else the relay
   *     ({@code [relay.example.net]:587}); may be empty
   * @param recipientDomain the recipient's domain (from {@code {rcpt_addr}}), to tell MX delivery
   *     (nexthop = the domain) from a relay; may be empty
   */
  public Route lookup(String mailer, String nexthop, String recipientDomain) {
    String m = mailer == null ? "" : mailer.strip();
    String h = nexthop == null ? "" : nexthop.strip();
    boolean direct = h.isEmpty() || (recipientDomain != null && h.equalsIgnoreCase(recipientDomain.strip()));
    String key = m + '\u0000' + (direct ? "" : h.toLowerCase(Locale.ROOT));
    Route cached = lookupCache.get(key);
    if (cached != null) {
      return cached;
    }
    Route r = route(m, direct ? "" : h,
        Selection.of(Selection.Kind.RESOLVED_BY_POSTFIX, "{rcpt_mailer}", "resolved by Postfix for this recipient"),
        Nexthop.Kind.TRANSPORT_NEXTHOP);
    if (lookupCache.size() < LOOKUP_CACHE_LIMIT) {
      lookupCache.put(key, r);
    }
    return r;
  }

  /**
   * A route on {@code serviceName} to {@code nexthop} ("" = MX of the recipient domain).
   *
   * @param relayKind the kind a non-empty nexthop has unless it is a relayhost's
   */
  Route route(String serviceName, String nexthop, Selection selection, Nexthop.Kind relayKind) {
    if (unavailable.isPresent()) {
      return new Route(serviceName, "", selection, new Nexthop(Nexthop.Kind.UNKNOWN, nexthop.isEmpty() ? "?" : nexthop),
          Reach.UNKNOWN, List.of(), "", List.of(unavailable.get()));
    }
    ServiceModel s = services.get(serviceName);
    if (s == null) {
      return new Route(serviceName, "", selection, new Nexthop(Nexthop.Kind.UNKNOWN, nexthop.isEmpty() ? "?" : nexthop),
          Reach.UNKNOWN, List.of(), "", List.of("transport '" + serviceName + "' (" + selection.describe()
              + ") is not a service in master.cf"));
    }
    return switch (s.command()) {
      case "smtp" -> {
        if (nexthop.isEmpty()) {
          yield new Route(s.name(), s.command(), selection, new Nexthop(Nexthop.Kind.MX, "MX of the recipient domain"),
              Reach.DIRECT, s.identities(), s.addressPreference(), s.problems());
        }
        Nexthop.Kind kind = relayhostNexthops.contains(nexthop.toLowerCase(Locale.ROOT)) ? Nexthop.Kind.RELAYHOST : relayKind;
        yield new Route(s.name(), s.command(), selection, new Nexthop(kind, nexthop), Reach.RELAYED, List.of(),
            s.addressPreference(), List.of());
      }
      case "lmtp" -> new Route(s.name(), s.command(), selection,
          new Nexthop(Nexthop.Kind.LMTP, nexthop.isEmpty() ? "lmtp" : nexthop), Reach.LOCAL, List.of(), "", List.of());
      default -> new Route(s.name(), s.command(), selection,
          new Nexthop(Nexthop.Kind.LOCAL, s.command() + (nexthop.isEmpty() ? "" : ":" + nexthop)), Reach.LOCAL,
          List.of(), "", List.of());
    };
  }
}
