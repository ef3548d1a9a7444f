package org.ptrguard.postfix;

import java.net.InetAddress;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.net.KernelRoutes;
import org.ptrguard.postfix.PostfixConfig.MasterService;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.Route.Nexthop;
import org.ptrguard.postfix.Route.Selection.Kind;
import org.ptrguard.postfix.Route.Selection;
import org.ptrguard.postfix.Route.SourceIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link RouteModel} from Postfix's own configuration: postconf for main.cf and master.cf,
 * postmap to list and query tables. Forks processes: run it at start, reload or from the
 * command line, never on the mail path.
 */
public final class RouteDiscovery {
  private static final Logger LOG = LoggerFactory.getLogger(RouteDiscovery.class);

  private static final Map<String, Kind> KIND_OF = Map.of(
      "transport_maps", Kind.TRANSPORT_MAP,
      "sender_dependent_default_transport_maps", Kind.SENDER_DEPENDENT_DEFAULT_TRANSPORT,
      "sender_dependent_relayhost_maps", Kind.SENDER_DEPENDENT_RELAYHOST);

  private final PostfixTools tools;
  private final Tables tables;
  /** Routes standing for tables that cannot be read (filled while listing; one discovery at a time). */
  private final List<Route> unreadable = new ArrayList<>();

  public RouteDiscovery(PostfixTools tools) {
    this.tools = tools;
    this.tables = new Tables(tools);
  }

  public Tables tables() {
    return tables;
  }

  public PostfixTools tools() {
    return tools;
  }

  /** Reads the configuration and builds the model; problems are logged and kept in the model, never thrown. */
  public synchronized RouteModel discover(List<IdentityOverride> overrides) {
    PostfixConfig config = PostfixConfig.read(tools);
    return build(config, overrides);
  }

  synchronized RouteModel build(PostfixConfig config, List<IdentityOverride> overrides) {
    unreadable.clear();
    Map<Path, Optional<FileTime>> watched = new LinkedHashMap<>();
    configFiles(config).forEach(p -> watched.put(p, RouteModel.modified(p)));
    if (config.parameters().isEmpty()) {
      String why = "Postfix configuration unreadable: " + String.join("; ", config.problems());
      LOG.warn("event=routes-unavailable reason={}", org.ptrguard.ops.LogValues.of(why));
      return new RouteModel(List.of(), Map.of(), Set.of(), List.of(why), List.of(), watched, Optional.of(why), config);
    }
    List<String> problems = new ArrayList<>(config.problems());
    List<String> notes = new ArrayList<>();
    Map<String, IdentityOverride> byService = overridesByService(config, overrides, problems);
    Map<String, RouteModel.ServiceModel> services = new LinkedHashMap<>();
    for (MasterService s : config.services().values()) {
      services.put(s.name(), serviceModel(config, s, byService.get(s.name())));
    }
    Set<String> relayhosts = new LinkedHashSet<>();
    String relayhost = config.parameter("relayhost");
    if (!relayhost.isEmpty()) {
      relayhosts.add(relayhost.toLowerCase(Locale.ROOT));
    }
    Map<String, String> senderRelayhosts = listAll(config, "sender_dependent_relayhost_maps", problems, notes, watched);
    senderRelayhosts.values().forEach(v -> relayhosts.add(v.toLowerCase(Locale.ROOT)));
    RouteModel skeleton = new RouteModel(List.of(), services, relayhosts, List.of(), List.of(), Map.of(), Optional.empty(), config);

    List<Route> routes = new ArrayList<>();
    Transport def = Transport.parse(config.parameter("default_transport"));
    String defaultNexthop = !def.nexthop().isEmpty() ? def.nexthop() : relayhost;
    routes.add(skeleton.route(def.service(), defaultNexthop,
        Selection.of(Kind.DEFAULT_TRANSPORT, "default_transport", "domains not local, virtual or relay"
            + (def.nexthop().isEmpty() && !relayhost.isEmpty() ? "; nexthop from relayhost" : "")),
        def.nexthop().isEmpty() ? Nexthop.Kind.RELAYHOST : Nexthop.Kind.TRANSPORT_NEXTHOP));
    senderRelayhosts.forEach((key, value) -> routes.add(skeleton.route(def.service(), value,
        Selection.entry(Kind.SENDER_DEPENDENT_RELAYHOST, "sender_dependent_relayhost_maps", tableOf(key), plainKey(key),
            "senders matching the key"), Nexthop.Kind.RELAYHOST)));
    listAll(config, "sender_dependent_default_transport_maps", problems, notes, watched).forEach((key, value) -> {
      if (!value.equalsIgnoreCase("DUNNO")) {
        Transport t = Transport.parse(value);
        routes.add(skeleton.route(t.service(), t.nexthop().isEmpty() ? relayhost : t.nexthop(),
            Selection.entry(Kind.SENDER_DEPENDENT_DEFAULT_TRANSPORT, "sender_dependent_default_transport_maps",
                tableOf(key), plainKey(key), "senders matching the key"), t.nexthop().isEmpty()
                ? Nexthop.Kind.RELAYHOST : Nexthop.Kind.TRANSPORT_NEXTHOP));
      }
    });
    domainClassRoute(config, skeleton, "relay_domains", "relay_transport", Kind.RELAY_TRANSPORT, relayhost, routes);
    domainClassRoute(config, skeleton, "mydestination", "local_transport", Kind.LOCAL_TRANSPORT, "", routes);
    domainClassRoute(config, skeleton, "virtual_mailbox_domains", "virtual_transport", Kind.VIRTUAL_TRANSPORT, "", routes);
    if (!config.parameter("virtual_alias_domains").isBlank()) {
      notes.add("virtual_alias_domains (" + config.parameter("virtual_alias_domains") + "): addresses are rewritten by "
          + "virtual_alias_maps and take the route of the rewritten address");
    }
    listAll(config, "transport_maps", problems, notes, watched).forEach((key, value) -> {
      Transport t = Transport.parse(value);
      // transport(5): a null transport keeps the class's transport, a null nexthop with a transport means MX
      String service = t.service().isEmpty() ? def.service() : t.service();
      String nexthop = t.service().isEmpty() && t.nexthop().isEmpty() ? defaultNexthop : t.nexthop();
      routes.add(skeleton.route(service, nexthop,
          Selection.entry(Kind.TRANSPORT_MAP, "transport_maps", tableOf(key), plainKey(key),
              value.isEmpty() ? "empty result: no change" : "result " + value),
          Nexthop.Kind.TRANSPORT_NEXTHOP));
    });
    routes.addAll(unreadable);
    if (notes.stream().anyMatch(n -> n.contains("cannot be listed"))) {
      // a table we cannot list may pick any smtp service: judge every one of them
      Set<String> covered = new LinkedHashSet<>();
      routes.forEach(r -> covered.add(r.service()));
      for (RouteModel.ServiceModel s : services.values()) {
        if (s.command().equals("smtp") && !covered.contains(s.name())) {
          routes.add(skeleton.route(s.name(), "", Selection.of(Kind.MASTER_CF_SERVICE, "master.cf",
              "not named by a listed setting; an unlisted table may select it"), Nexthop.Kind.TRANSPORT_NEXTHOP));
        }
      }
    }
    // each problem once, whether it came from a table, a service or a route
    routes.forEach(r -> r.problems().forEach(p -> {
      if (!problems.contains(p)) {
        problems.add(p);
      }
    }));
    problems.forEach(p -> LOG.warn("event=routes-problem problem={}", org.ptrguard.ops.LogValues.of(p)));
    return new RouteModel(routes, services, relayhosts, problems, notes, watched, Optional.empty(), config);
  }

  /** {@code transport:nexthop} as default_transport and the tables write it. */
  record Transport(String service, String nexthop) {
    static Transport parse(String value) {
      String v = value.strip();
      int colon = v.indexOf(':');
      return colon < 0 ? new Transport(v, "") : new Transport(v.substring(0, colon).strip(), v.substring(colon + 1).strip());
    }
  }

  private static void domainClassRoute(PostfixConfig config, RouteModel skeleton, String domainsParameter,
      String transportParameter, Kind kind, String fallbackNexthop, List<Route> routes) {
    String domains = config.parameter(domainsParameter);
    if (domains.isBlank()) {
      return;
    }
    Transport t = Transport.parse(config.parameter(transportParameter));
    String nexthop = !t.nexthop().isEmpty() ? t.nexthop() : fallbackNexthop;
    routes.add(skeleton.route(t.service(), nexthop, Selection.of(kind, transportParameter,
        domainsParameter + ": " + String.join(", ", LookupTable.splitList(domains))),
        t.nexthop().isEmpty() ? Nexthop.Kind.RELAYHOST : Nexthop.Kind.TRANSPORT_NEXTHOP));
  }

  /** Entries of every table of a parameter, keyed "TABLE\u0000KEY"; unlistable tables become notes. */
  private Map<String, String> listAll(PostfixConfig config, String parameter, List<String> problems, List<String> notes,
      Map<Path, Optional<FileTime>> watched) {
    Map<String, String> out = new LinkedHashMap<>();
    for (LookupTable table : LookupTable.list(config.parameter(parameter))) {
      table.files().forEach(f -> watched.put(f, RouteModel.modified(f)));
      Tables.Listing listing = tables.list(table);
      if (listing.problem().isPresent()) {
        String problem = parameter + ": table " + table.spec() + " cannot be read: " + listing.problem().get();
        problems.add(problem);
        unreadable.add(new Route("?", "", Selection.entry(KIND_OF.getOrDefault(parameter, Kind.TRANSPORT_MAP), parameter,
            table.spec(), "*", "the table cannot be read"), new Nexthop(Nexthop.Kind.UNKNOWN, "?"), Route.Reach.UNKNOWN,
            List.of(), "", List.of(problem)));
      } else if (!listing.listable()) {
        notes.add(parameter + ": table " + table.spec() + " cannot be listed (" + table.effectiveType()
            + "); its routes show in 'ptrguard route' and in Postfix's own resolution");
      }
      listing.entries().forEach((k, v) -> out.put(table.spec() + '\u0000' + k, v));
    }
    return out;
  }

  private static String tableOf(String key) {
    return key.substring(0, key.indexOf('\u0000'));
  }

  private static String plainKey(String key) {
    return key.substring(key.indexOf('\u0000') + 1);
  }

  private static List<Path> configFiles(PostfixConfig config) {
    String dir = config.parameter("config_directory");
    if (dir.isEmpty()) {
      return List.of();
    }
    return List.of(Path.of(dir, "main.cf"), Path.of(dir, "master.cf"));
  }

  // ------------------------------------------------------------------ identities of a service

  private RouteModel.ServiceModel serviceModel(PostfixConfig config, MasterService s, IdentityOverride override) {
    if (!s.command().equals("smtp")) {
      return new RouteModel.ServiceModel(s.name(), s.command(), List.of(), "", List.of());
    }
    List<String> problems = new ArrayList<>();
    String protocols = setting(config, s, "inet_protocols").value().toLowerCase(Locale.ROOT);
    List<SourceIdentity> identities = new ArrayList<>();
    Valued helo = setting(config, s, "smtp_helo_name");
    String ehlo = helo.value().isEmpty() ? config.parameter("myhostname") : helo.value();
    String ehloSource = helo.source().equals("default") ? "myhostname (smtp_helo_name default)" : helo.source();
    for (Family family : Family.values()) {
      boolean wanted = families(protocols).contains(family);
      Optional<InetAddress> forced = override == null ? Optional.empty()
          : override.addresses().stream().filter(a -> Family.of(a) == family).findFirst();
      if (!wanted && forced.isEmpty()) {
        continue;
      }
      SourceIdentity discovered = address(config, s, family, ehlo, ehloSource);
      identities.add(override == null ? discovered : applyOverride(discovered, override, forced));
    }
    identities.removeIf(i -> i.address().isEmpty() && i.addressSource().startsWith("no route"));
    if (identities.stream().allMatch(i -> i.address().isEmpty())) {
      problems.add("service " + s.name() + ": no outbound address found ("
          + (identities.isEmpty() ? "inet_protocols = " + protocols : identities.get(0).addressSource()) + ")");
    }
    String preference = setting(config, s, "smtp_address_preference").value();
    return new RouteModel.ServiceModel(s.name(), s.command(), identities, preference.isEmpty() ? "any" : preference, problems);
  }

  private static SourceIdentity applyOverride(SourceIdentity d, IdentityOverride o, Optional<InetAddress> forced) {
    Optional<InetAddress> address = forced.isPresent() ? forced : d.address();
    String addressSource = forced.isPresent()
        ? "ptrguard.conf identity '" + o.name() + "' (discovered: " + d.address().map(org.ptrguard.net.Addresses::text)
            .orElse("none") + " from " + d.addressSource() + ")"
        : d.addressSource();
    String ehlo = o.ehlo().orElse(d.ehlo());
    String ehloSource = o.ehlo().isPresent() ? "ptrguard.conf identity '" + o.name() + "' (discovered: " + d.ehlo() + ")"
        : d.ehloSource();
    return new SourceIdentity(d.family(), address, addressSource, ehlo, ehloSource, Optional.of(o.name()));
  }

  private SourceIdentity address(PostfixConfig config, MasterService s, Family family, String ehlo, String ehloSource) {
    String parameter = bindParameter(family);
    Valued bind = setting(config, s, parameter);
    if (!bind.value().isEmpty()) {
      Optional<InetAddress> literal = bindLiteral(bind, family);
      return new SourceIdentity(family, literal, literal.isPresent() ? bind.source()
          : bind.source() + " = '" + bind.value() + "' is not an " + family.word() + " address", ehlo, ehloSource,
          Optional.empty());
    }
    Optional<InetAddress> kernel = kernelSource(family);
    if (kernel.isEmpty()) {
      return new SourceIdentity(family, Optional.empty(), "no route to the Internet over " + family.word(), ehlo,
          ehloSource, Optional.empty());
    }
    if (!KernelRoutes.isGlobal(kernel.get())) {
      return new SourceIdentity(family, Optional.empty(), "the kernel's source address "
          + org.ptrguard.net.Addresses.text(kernel.get()) + " is not public (behind NAT: write the public address "
          + "in an identities override)", ehlo, ehloSource, Optional.empty());
    }
    return new SourceIdentity(family, kernel, "kernel route to the Internet (no " + parameter + ")", ehlo, ehloSource,
        Optional.empty());
  }

  private final Map<Family, Optional<InetAddress>> kernelSources = new java.util.EnumMap<>(Family.class);

  private synchronized Optional<InetAddress> kernelSource(Family family) {
    return kernelSources.computeIfAbsent(family,
        f -> KernelRoutes.internetSource(f == Family.IPV6));
  }

  /** The families an {@code inet_protocols} value enables. */
  static Set<Family> families(String inetProtocols) {
    String p = inetProtocols.toLowerCase(Locale.ROOT);
    Set<Family> out = java.util.EnumSet.noneOf(Family.class);
    for (Family f : Family.values()) {
      if (p.contains("all") || p.contains(f.word())) {
        out.add(f);
      }
    }
    return out;
  }

  static String bindParameter(Family family) {
    return family == Family.IPV4 ? "smtp_bind_address" : "smtp_bind_address6";
  }

  /** The bind address a setting names, when it is an address of that family ("[...]" allowed). */
  static Optional<InetAddress> bindLiteral(Valued bind, Family family) {
    return IpLiterals.parse(bind.value().replaceAll("^\\[|]$", "")).filter(a -> Family.of(a) == family);
  }

  /** A value and where it was set: the service's -o, main.cf, or Postfix's default. */
  record Valued(String value, String source) {}

  static Valued setting(PostfixConfig config, MasterService s, String parameter) {
    if (s.overrides().containsKey(parameter)) {
      return new Valued(s.overrides().get(parameter), "master.cf " + s.name() + "/" + s.type() + " -o " + parameter);
    }
    String value = config.parameter(parameter);
    return new Valued(value, config.explicit().contains(parameter) ? "main.cf " + parameter : "default");
  }

  // ------------------------------------------------------------------ overrides

  private Map<String, IdentityOverride> overridesByService(PostfixConfig config, List<IdentityOverride> overrides,
      List<String> problems) {
    Map<String, IdentityOverride> out = new LinkedHashMap<>();
    for (IdentityOverride o : overrides) {
      if (!o.changesAnything()) {
        continue;
      }
      for (String service : servicesOf(config, o)) {
        IdentityOverride earlier = out.putIfAbsent(service, o);
        if (earlier != null && earlier != o) {
          problems.add("identities '" + o.name() + "' and '" + earlier.name() + "' both override service " + service
              + "; '" + earlier.name() + "' is used");
        }
      }
    }
    return out;
  }

  /** The services an override applies to; see {@link IdentityOverride}. */
  public List<String> servicesOf(PostfixConfig config, IdentityOverride o) {
    if (!o.services().isEmpty()) {
      return o.services();
    }
    if (!o.senders().isEmpty()) {
      List<String> out = new ArrayList<>();
      for (LookupTable table : LookupTable.list(config.parameter("sender_dependent_default_transport_maps"))) {
        List<String> keys = o.senders().stream().map(d -> "@" + d.toLowerCase(Locale.ROOT).replaceFirst("^@", "")).toList();
        tables.query(table, keys).values().values().forEach(v -> {
          String service = Transport.parse(v).service();
          if (!v.equalsIgnoreCase("DUNNO") && !service.isEmpty() && !out.contains(service)) {
            out.add(service);
          }
        });
      }
      return out;
    }
    List<String> out = new ArrayList<>();
    out.add(Transport.parse(config.parameter("default_transport")).service());
    String relay = Transport.parse(config.parameter("relay_transport")).service();
    if (!out.contains(relay)) {
      out.add(relay);
    }
    return out;
  }
}
