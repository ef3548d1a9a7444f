package org.ptrguard.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.ReceiverProfiles;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets;
import org.ptrguard.monitor.RelayProbe.RelayReport;
import org.ptrguard.net.Addresses;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.Route.SourceIdentity;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteExplainer.Explanation;
import org.ptrguard.postfix.RouteExplainer.Lookup;
import org.ptrguard.postfix.RouteExplainer;
import org.ptrguard.postfix.RouteModel;

/**
 * {@code ptrguard routes}: every delivery route of this Postfix, why it is used, and the identity
 * receivers see on it with its verdict and fixes. {@code ptrguard route}: which route given
 * recipients take for a sender, with every table lookup. Exit status as {@code check}.
 */
public final class RoutesCommand {
  public static final Command ROUTES_SPEC = new Command("routes", "",
      "List Postfix's delivery routes and the identity each leaves with.",
      "List every delivery route of this Postfix (from postconf and postmap: relayhost, transport maps, "
          + "sender-dependent relays, per-service overrides), why it is used, and the outbound identity receivers "
          + "see on it, with its verdict and the fixes, and, when the daemon runs, the receivers' rejections of mail "
          + "on it in the last 24 hours as the daemon read them from Postfix's log. Exit status as for check.",
      List.of(CommonOptions.CONFIG, CommonOptions.POSTFIX_CONFIG, ControlCommands.SOCKET,
          Option.flag("json", "Print one JSON document instead of the report.")),
      List.of(),
      List.of(new Command.ExitCode(CheckCommand.EXIT_PASS, "every route's identity passes"),
          new Command.ExitCode(CheckCommand.EXIT_WARN, "the worst finding is a warning"),
          new Command.ExitCode(CheckCommand.EXIT_FAIL, "a route's identity fails"),
          new Command.ExitCode(CheckCommand.EXIT_UNKNOWN, "DNS could not answer, or a route could not be judged"),
          CommonOptions.USAGE_ERROR,
          CommonOptions.INTERNAL_ERROR,
          new Command.ExitCode(CheckCommand.EXIT_CONFIG, "the configuration is invalid or unreadable")),
      0, (args, out, err) -> routes(args, out, err, System.console() != null && System.getenv("NO_COLOR") == null));

  public static final Command ROUTE_SPEC = new Command("route", "",
      "Show which route each recipient takes for a sender, and why.",
      "Explain which delivery route Postfix takes for each recipient of a sender, with every table lookup "
          + "on the way, as trivial-rewrite would decide it.",
      List.of(Option.valued("sender", "ADDR", "the null sender (<>)", "The envelope sender."),
          Option.valued("rcpt", "ADDR", "none: at least one is required", "A recipient to explain.").many(),
          CommonOptions.CONFIG, CommonOptions.POSTFIX_CONFIG,
          Option.flag("json", "Print one JSON document instead of the text.")),
      List.of(),
      List.of(new Command.ExitCode(CheckCommand.EXIT_PASS, "every recipient's route is known"),
          new Command.ExitCode(CheckCommand.EXIT_UNKNOWN, "a recipient's route could not be determined"),
          CommonOptions.USAGE_ERROR,
          CommonOptions.INTERNAL_ERROR,
          new Command.ExitCode(CheckCommand.EXIT_CONFIG, "the configuration is invalid or unreadable")),
      0, RoutesCommand::route);

  record Request(Optional<Path> config, Optional<Path> postfixConfig, Optional<String> sender, List<String> rcpts,
      boolean json, Optional<Path> socket) {}

  private RoutesCommand() {}

  static int routes(String[] args, PrintStream out, PrintStream err, boolean colour) {
    Request a;
    try {
      a = parse(ROUTES_SPEC, args, out, err);
    } catch (CommandExit e) {
      return e.status();
    }
    Optional<Settings> settings = settings(a, err);
    if (settings.isEmpty()) {
      return CheckCommand.EXIT_CONFIG;
    }
    RouteModel model = RouteChecks.discover(RouteChecks.discovery(a.postfixConfig(), settings.get()), settings.get());
    RouteChecks.Checked checked;
    try {
      checked = RouteChecks.check(model, settings.get(), IdentityTargets.dnsOptions(settings.get().dns()));
    } catch (Exception e) {
      err.println("ptrguard routes: the identity checks did not complete: " + e);
      return CheckCommand.EXIT_UNKNOWN;
    }
    Verdict overall = checked.overall();
    // What receivers answered each route's mail, as the running daemon read it from Postfix's log, and
    // (for routes whose IPv6 identity fails) its count of recipients whose mail exchangers have IPv6.
    ControlCommands.DaemonAnswer daemon = ControlCommands.daemonStatus(a.socket().or(() -> settings.get().control().socket()));
    DaemonRejections rejections = DaemonRejections.of(daemon);
    if (a.json()) {
      out.println(Json.write(routesJson(checked, overall, rejections, daemon)));
    } else {
      printRoutes(new CheckReport(out, colour), out, checked, overall, rejections, daemon);
    }
    return CheckCommand.exitCode(overall);
  }

  static int route(String[] args, PrintStream out, PrintStream err) {
    Request a;
    try {
      a = parse(ROUTE_SPEC, args, out, err);
    } catch (CommandExit e) {
      return e.status();
    }
    Optional<Settings> settings = settings(a, err);
    if (settings.isEmpty()) {
      return CheckCommand.EXIT_CONFIG;
    }
    RouteDiscovery discovery = RouteChecks.discovery(a.postfixConfig(), settings.get());
    RouteModel model = RouteChecks.discover(discovery, settings.get());
    RouteExplainer explainer = new RouteExplainer(model, discovery.tables());
    List<Explanation> explanations = new ArrayList<>();
    for (String rcpt : a.rcpts()) {
      explanations.add(explainer.explain(a.sender().orElse(""), rcpt));
    }
    Map<Route, RelayReport> relays;
    try (RouteChecks.Relays probes = new RouteChecks.Relays(IdentityTargets.dnsOptions(settings.get().dns()), model,
        explanations.stream().map(Explanation::route).toList())) {
      relays = probes.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CheckCommand.EXIT_UNKNOWN;
    }
    if (a.json()) {
      List<Object> list = new ArrayList<>();
      explanations.forEach(e -> list.add(explanationJson(e, relays.get(e.route()))));
      out.println(Json.write(Map.of("recipients", list)));
    } else {
      CheckReport report = new CheckReport(out, false);
      explanations.forEach(e -> printExplanation(out, report, e, relays.get(e.route())));
    }
    boolean unknown = explanations.stream().anyMatch(e -> e.route().reach() == Reach.UNKNOWN);
    return unknown ? CheckCommand.EXIT_UNKNOWN : CheckCommand.EXIT_PASS;
  }

  static Request parse(Command spec, String[] args, PrintStream out, PrintStream err) throws CommandExit {
    Arguments a = Commands.parse(spec, args, out, err);
    if (spec == ROUTE_SPEC && a.all("rcpt").isEmpty()) {
      throw new CommandExit(Commands.usageError(spec, err, "at least one --rcpt is needed"));
    }
    return new Request(a.config(), a.value("postfix-config").map(Path::of), a.value("sender"), a.all("rcpt"),
        a.has("json"), a.value("socket").map(Path::of));
  }

  private static Optional<Settings> settings(Request a, PrintStream err) {
    try {
      return Optional.of(ConfigLoader.load(a.config()).settings());
    } catch (ConfigException e) {
      err.println("ptrguard: configuration is invalid:");
      e.problems().forEach(p -> err.println("  " + p));
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------ routes: text

  private static void printRoutes(CheckReport report, PrintStream out, RouteChecks.Checked c, Verdict overall,
      DaemonRejections rejections, ControlCommands.DaemonAnswer daemon) {
    RouteModel m = c.model();
    out.println("ptrguard routes: " + m.routes().size() + (m.routes().size() == 1 ? " route" : " routes")
        + ", resolver " + c.resolver());
    String dir = m.config().parameter("config_directory");
    report.wrap("postfix: ", "         ", dir.isEmpty() ? "configuration unreadable (see the problem below)" : dir);
    for (String p : m.problems()) {
      report.wrap("problem: ", "         ", p);
    }
    for (String n : m.notes()) {
      report.wrap("note: ", "      ", n);
    }
    java.util.Set<IdentityReport> shown = new java.util.HashSet<>();
    for (Route r : m.routes()) {
      out.println();
      String badge = r.reach() == Reach.DIRECT || r.reach() == Reach.UNKNOWN ? report.badge(c.verdict(r))
          : r.reach().name();
      out.println("route " + r.label() + "  " + badge);
      report.field("selected by", r.selection().describe());
      report.field("service", r.service() + (r.command().isEmpty() ? " (not in master.cf)" : " (" + r.command() + ")"));
      report.field("nexthop", r.nexthop().text() + " (" + r.nexthop().kind().word() + ")");
      report.field("reach", reachText(r.reach()));
      r.problems().forEach(p -> report.field("problem", p));
      if (r.reach() == Reach.DIRECT && rejections.unavailable().isEmpty()) {
        report.field("rejections", rejections.text(daemonNames(r)));
      }
      Optional.ofNullable(c.relays().get(r)).ifPresent(relay -> RelayOutput.print(report, relay));
      c.fallbackNote(r).ifPresent(n -> report.field("preference", n));
      for (SourceIdentity id : r.identities()) {
        report.field(id.family().word(), id.address().map(Addresses::text).orElse("unknown") + " (" + id.addressSource() + ")");
        report.field("EHLO name", id.ehlo() + " (" + id.ehloSource() + ")");
        Optional<IdentityReport> ir = c.report(id);
        if (ir.isPresent()) {
          report.field("PTR", ir.get().ptrNames().isEmpty() ? "none" : String.join(", ", ir.get().ptrNames()));
          report.field("verdict", report.badge(ir.get().verdict()));
          if (brokenIpv6(r, id, ir.get())) {
            report.field("IPv6 mail", Ipv6ShareSection.affected(daemon, r.service()));
          }
          if (shown.add(ir.get())) {
            report.findings(ir.get());
            out.println();
            ReceiverMatrixOutput.print(report, ReceiverProfiles.standard().judge(ir.get()));
          } else {
            report.wrap("  ", "  ", "Same identity as a route above: see its findings.");
          }
        }
      }
    }
    List<String> footer = CheckCommand.rejectionsFooter(rejections, shownNames(m));
    if (!footer.isEmpty()) {
      out.println();
      footer.forEach(line -> report.wrap("", "  ", line));
    }
    out.println();
    out.println("overall: " + report.badge(overall) + " (exit " + CheckCommand.exitCode(overall)
        + "; routes that reach receivers directly)");
  }

  static String reachText(Reach reach) {
    return switch (reach) {
      case DIRECT -> "direct: receivers see this host's address and EHLO name";
      case RELAYED -> "relayed: receivers see the relay's identity, not this host's";
      case LOCAL -> "local delivery: no outbound identity";
      case UNKNOWN -> "unknown: cannot be modelled (on-dns-error applies)";
    };
  }

  // ------------------------------------------------------------------ routes: JSON

  /**
   * The daemon's names for a route's rejections: the delivering service, and the configured identity
   * that overrides the service's (route mode attributes a rejection to that identity).
   */
  static Set<String> daemonNames(Route r) {
    Set<String> names = new LinkedHashSet<>(List.of(r.service()));
    r.identities().forEach(id -> id.overriddenBy().ifPresent(names::add));
    return names;
  }

  private static Set<String> shownNames(RouteModel m) {
    Set<String> shown = new LinkedHashSet<>();
    m.routes().stream().filter(r -> r.reach() == Reach.DIRECT).forEach(r -> shown.addAll(daemonNames(r)));
    return shown;
  }

  /** A direct route's IPv6 identity that fails: how much mail it affects is worth a line. */
  private static boolean brokenIpv6(Route r, SourceIdentity id, IdentityReport report) {
    return r.reach() == Reach.DIRECT && id.family() == Route.Family.IPV6 && report.verdict() == Verdict.FAIL;
  }

  private static Map<String, Object> routesJson(RouteChecks.Checked c, Verdict overall, DaemonRejections rejections,
      ControlCommands.DaemonAnswer daemon) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("verdict", overall.word());
    doc.put("postfix_config", c.model().config().parameter("config_directory"));
    doc.put("problems", c.model().problems());
    doc.put("notes", c.model().notes());
    List<Object> routes = new ArrayList<>();
    for (Route r : c.model().routes()) {
      Map<String, Object> rm = routeJson(r);
      rm.put("verdict", r.reach() == Reach.DIRECT || r.reach() == Reach.UNKNOWN ? c.verdict(r).word() : "not-judged");
      List<Object> ids = new ArrayList<>();
      for (SourceIdentity id : r.identities()) {
        Map<String, Object> im = identityJson(id);
        c.report(id).ifPresent(ir -> {
          im.put("ptr", ir.ptrNames());
          im.put("verdict", ir.verdict().word());
          im.put("findings", CheckCommand.findingsJson(ir));
          im.put("receivers", ReceiverMatrixOutput.json(ReceiverProfiles.standard().judge(ir)));
          if (brokenIpv6(r, id, ir)) {
            // the daemon's recipients of the last 24 h on this route (null: no daemon reported it)
            im.put("recipients_24h", daemon.status().flatMap(d -> Ipv6ShareSection.forRoute(d, r.service())).orElse(null));
            im.put("ipv6_mail", Ipv6ShareSection.affected(daemon, r.service()));
          }
        });
        ids.add(im);
      }
      rm.put("identities", ids);
      rm.put("receiver_rejections", r.reach() == Reach.DIRECT ? rejections.json(daemonNames(r)) : null);
      rm.put("relay", Optional.ofNullable(c.relays().get(r)).map(RelayOutput::json).orElse(null));
      rm.put("preference_note", c.fallbackNote(r).orElse(null));
      routes.add(rm);
    }
    doc.put("routes", routes);
    doc.put("receiver_rejections", rejections.summaryJson(shownNames(c.model())));
    return doc;
  }

  static Map<String, Object> routeJson(Route r) {
    Map<String, Object> rm = new LinkedHashMap<>();
    rm.put("service", r.service());
    rm.put("command", r.command());
    Map<String, Object> sel = new LinkedHashMap<>();
    sel.put("kind", r.selection().kind().word());
    sel.put("parameter", r.selection().parameter());
    sel.put("table", r.selection().table().orElse(null));
    sel.put("key", r.selection().key().orElse(null));
    sel.put("detail", r.selection().detail());
    rm.put("selection", sel);
    rm.put("nexthop", Map.of("kind", r.nexthop().kind().word(), "text", r.nexthop().text()));
    rm.put("reach", r.reach().word());
    rm.put("address_preference", r.addressPreference());
    rm.put("problems", r.problems());
    return rm;
  }

  static Map<String, Object> identityJson(SourceIdentity id) {
    Map<String, Object> im = new LinkedHashMap<>();
    im.put("family", id.family().word());
    im.put("ip", id.address().map(Addresses::text).orElse(null));
    im.put("ip_source", id.addressSource());
    im.put("ehlo", id.ehlo());
    im.put("ehlo_source", id.ehloSource());
    im.put("override", id.overriddenBy().orElse(null));
    return im;
  }

  // ------------------------------------------------------------------ route

  private static void printExplanation(PrintStream out, CheckReport report, Explanation e, RelayReport relay) {
    Route r = e.route();
    out.println("recipient " + e.recipient() + " (sender " + (e.sender().isEmpty() ? "<>" : e.sender()) + ")");
    for (Lookup l : e.lookups()) {
      out.println("  lookup  " + l.parameter() + " " + org.ptrguard.postfix.LookupTable.shortLabel(l.table())
          + " key " + l.key() + " -> "
          + l.problem().map(p -> "ERROR " + p).orElse(l.result().map(v -> v.isEmpty() ? "(empty)" : v).orElse("not found")));
    }
    for (String s : e.steps()) {
      out.println("  " + s);
    }
    out.println("  route   " + r.label() + " [" + r.reach().word() + "] selected by " + r.selection().describe());
    for (SourceIdentity id : r.identities()) {
      out.println("  " + id.family().word() + "    " + id.address().map(Addresses::text).orElse("unknown") + " ("
          + id.addressSource() + "), EHLO " + id.ehlo() + " (" + id.ehloSource() + ")");
    }
    if (relay != null) {
      RelayOutput.print(report, relay);
    }
    out.println();
  }

  private static Map<String, Object> explanationJson(Explanation e, RelayReport relay) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("recipient", e.recipient());
    m.put("sender", e.sender());
    m.put("address_class", e.addressClass());
    List<Object> lookups = new ArrayList<>();
    for (Lookup l : e.lookups()) {
      Map<String, Object> lm = new LinkedHashMap<>();
      lm.put("parameter", l.parameter());
      lm.put("table", l.table());
      lm.put("key", l.key());
      lm.put("result", l.result().orElse(null));
      lm.put("error", l.problem().orElse(null));
      lookups.add(lm);
    }
    m.put("lookups", lookups);
    m.put("steps", e.steps());
    Map<String, Object> rm = routeJson(e.route());
    List<Object> ids = new ArrayList<>();
    e.route().identities().forEach(id -> ids.add(identityJson(id)));
    rm.put("identities", ids);
    rm.put("relay", relay == null ? null : RelayOutput.json(relay));
    m.put("route", rm);
    return m;
  }
}
