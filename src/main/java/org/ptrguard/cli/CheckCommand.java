package org.ptrguard.cli;

import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.ResolverAddress;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.Finding;
import org.ptrguard.identity.GenericNameClassifier;
import org.ptrguard.identity.IdentityChecker;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.ReceiverProfiles;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Resolution;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.monitor.IdentityTargets;
import org.ptrguard.monitor.RelayProbe.RelayReport;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.postfix.IdentityDiscovery;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteModel;

/**
 * {@code ptrguard check}: what strict receivers will see for each outbound identity, with the fix
 * for every finding. Made for a terminal, for cron (exit status) and for monitoring (--json).
 */
public final class CheckCommand {
  static final int EXIT_PASS = 0;
  static final int EXIT_WARN = 1;
  static final int EXIT_FAIL = 2;
  static final int EXIT_UNKNOWN = 3;
  static final int EXIT_USAGE = Commands.EXIT_USAGE;
  static final int EXIT_CONFIG = Commands.EXIT_CONFIG;

  public static final Command SPEC = new Command("check", "",
      "Check the outbound identities and print findings with fixes.",
      "Check each outbound identity the way strict receivers do (PTR present and single, forward-confirmed, "
          + "not a provider's generic name; EHLO name valid, resolving to the address, matching the PTR) and "
          + "print every finding with its evidence, the fix, and who can make it.\n\n"
          + "Without --ip and --ehlo it checks the configured identities (ip = auto and ehlo = auto are read "
          + "from Postfix and the kernel's route). With --ip or --ehlo it checks that one identity and, unless "
          + "--config is given too, does not read the configuration file, so any user can run it.\n\n"
          + "When the daemon runs, each identity also shows the receivers' rejections of its mail in the last 24 "
          + "hours (count, last receiver, last reply), as the daemon read them from Postfix's log; when it cannot be "
          + "asked, one line says why.",
      List.of(CommonOptions.CONFIG,
          Option.valued("ip", "IP", "the configured identities' addresses",
              "Check this source address (IPv4 or IPv6) instead of the configured identities.").many(),
          Option.valued("ehlo", "NAME", "smtp_helo_name from postconf, else the host's FQDN, with --ip; "
                  + "else the configured identities' names",
              "Check this EHLO name instead of the configured identities'."),
          Option.valued("resolver", "HOST[:PORT]", "the configuration's dns.resolvers, else /etc/resolv.conf",
              "Ask this DNS resolver instead.").many(),
          CommonOptions.POSTFIX_CONFIG, ControlCommands.SOCKET,
          Option.flag("json", "Print one JSON document instead of the report, for monitoring.")),
      List.of(),
      List.of(new Command.ExitCode(EXIT_PASS, "every identity passes"),
          new Command.ExitCode(EXIT_WARN, "the worst finding is a warning"),
          new Command.ExitCode(EXIT_FAIL, "an identity fails: receivers will refuse or defer its mail"),
          new Command.ExitCode(EXIT_UNKNOWN, "DNS could not answer (timeout, SERVFAIL): nothing proven wrong"),
          CommonOptions.USAGE_ERROR,
          CommonOptions.INTERNAL_ERROR,
          new Command.ExitCode(EXIT_CONFIG, "the configuration is invalid or unreadable (the message names the "
              + "file and the reason), or there is nothing to check")),
      0, (args, out, err) -> run(args, out, err, colour(), IdentityDiscovery.system()));

  /** The command line, with values checked. */
  record Request(Optional<Path> config, List<InetAddress> ips, Optional<String> ehlo,
      List<ResolverAddress> resolvers, boolean json, Optional<Path> postfixConfig, Optional<Path> socket) {
    boolean adHoc() {
      return !ips.isEmpty() || ehlo.isPresent();
    }
  }

  private CheckCommand() {}

  private static boolean colour() {
    return System.console() != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
  }

  @SuppressWarnings("unchecked")
  static int run(String[] args, PrintStream out, PrintStream err, boolean colour, IdentityDiscovery discovery) {
    Request a;
    try {
      a = request(Commands.parse(SPEC, args, out, err));
    } catch (CommandExit e) {
      return e.status();
    } catch (IllegalArgumentException e) {
      return Commands.usageError(SPEC, err, e.getMessage());
    }
    Settings settings;
    try {
      // An explicit identity needs nothing from the file (which is not readable by every user):
      // the embedded defaults, unless --config asks for the file.
      settings = a.adHoc() && a.config().isEmpty() ? ConfigLoader.parse("") : ConfigLoader.load(a.config()).settings();
    } catch (ConfigException e) {
      err.println("ptrguard: configuration is invalid:");
      e.problems().forEach(p -> err.println("  " + p));
      return EXIT_CONFIG;
    }
    boolean adHoc = a.adHoc();
    List<Target> targets = new ArrayList<>();
    Verdict unjudged = Verdict.PASS;
    List<IdentitySettings> written = identities(a, settings);
    Optional<RouteModel> routeModel = Optional.empty();
    if (!adHoc) {
      // every route's identity, with the hand-written identities as overrides; those matching no route stay as written
      RouteDiscovery routes = RouteChecks.discovery(a.postfixConfig(), settings);
      RouteModel model = RouteChecks.discover(routes, settings);
      routeModel = Optional.of(model);
      model.problems().forEach(p -> err.println("ptrguard check: routes: " + p));
      List<String> unknown = RouteChecks.unjudgeable(model);
      unknown.forEach(p -> err.println("ptrguard check: " + p));
      unjudged = unknown.isEmpty() ? Verdict.PASS : Verdict.UNKNOWN;
      targets.addAll(RouteChecks.targets(model, settings).values());
      written = RouteChecks.unmatched(routes, model, settings);
    }
    Resolution resolution = IdentityTargets.resolve(written, discovery, adHoc ? "command line" : "configured");
    resolution.problems().forEach(p -> err.println("ptrguard check: " + p));
    targets.addAll(resolution.targets());
    if (targets.isEmpty() && unjudged == Verdict.PASS && (adHoc || !resolution.problems().isEmpty())) {
      err.println("ptrguard check: nothing to check (set identities in the configuration, or use --ip and --ehlo)");
      return EXIT_CONFIG;
    }
    DnsOptions dns = IdentityTargets.dnsOptions(settings.dns());
    if (!a.resolvers().isEmpty()) {
      dns = new DnsOptions(a.resolvers().stream().map(ResolverAddress::socketAddress).toList(), dns.compareWith(),
          dns.timeout(), dns.checkBudget(), dns.egress(), dns.authoritativePort());
    }
    // the relays of relayed routes: probed while the identities are checked, reported, never judged
    try (RouteChecks.Relays relays = new RouteChecks.Relays(dns, routeModel.orElse(null),
        routeModel.map(RouteModel::routes).orElse(List.of()))) {
      if (targets.isEmpty() && unjudged == Verdict.PASS) {
        String text = "no route reaches receivers directly (relayed or local delivery only): nothing of this host to judge";
        List<RelayReport> found = List.copyOf(relays.await().values());
        if (a.json()) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("verdict", "pass");
          doc.put("identities", List.of());
          doc.put("note", text);
          doc.put("relays", relaysJson(found));
          out.println(Json.write(doc));
        } else {
          out.println("ptrguard check: " + text);
          printRelays(new CheckReport(out, colour), out, found);
        }
        return EXIT_PASS;
      }
      return checkTargets(a, out, err, colour, settings, targets, unjudged, routeModel, dns, relays);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return EXIT_UNKNOWN;
    }
  }

  private static int checkTargets(Request a, PrintStream out, PrintStream err, boolean colour, Settings settings,
      List<Target> targets, Verdict unjudged, Optional<RouteModel> routeModel, DnsOptions dns, RouteChecks.Relays relays)
      throws InterruptedException {
    List<IdentityReport> reports = new ArrayList<>();
    String resolver;
    try (IdentityChecker checker = new IdentityChecker(dns, GenericNameClassifier.standard())) {
      resolver = checker.resolverLabel();
      List<CompletableFuture<IdentityReport>> running = targets.stream()
          .map(t -> checker.check(t.identity()).toCompletableFuture()).toList();
      for (CompletableFuture<IdentityReport> r : running) {
        reports.add(r.get(dns.checkBudget().toMillis() + 5_000, TimeUnit.MILLISECONDS));
      }
    } catch (IllegalArgumentException e) {
      err.println("ptrguard check: " + e.getMessage());
      return EXIT_CONFIG;
    } catch (Exception e) {
      err.println("ptrguard check: the check did not complete: " + e);
      return EXIT_UNKNOWN;
    }
    Verdict overall = Verdict.worst(overall(reports), unjudged);
    // The daemon decides with its own, older verdicts: say so when they differ from this fresh check.
    ControlCommands.DaemonAnswer daemon = ControlCommands.daemonStatus(a.socket().or(() -> settings.control().socket()));
    Optional<Ipv6Mitigation> ipv6 = Ipv6Mitigation.of(reports, routeModel, daemon);
    List<DaemonDifference> differences = daemon.status().map(d -> DaemonDifference.of(d, reports)).orElse(List.of());
    // What receivers answered this host's mail, as the daemon read it from Postfix's log.
    DaemonRejections rejections = DaemonRejections.of(daemon);
    List<Set<String>> daemonNames = new ArrayList<>();
    for (int i = 0; i < reports.size(); i++) {
      daemonNames.add(daemonNames(rejections, targets.get(i), reports.get(i)));
    }
    Set<String> shown = new LinkedHashSet<>();
    daemonNames.forEach(shown::addAll);
    List<RelayReport> found = List.copyOf(relays.await().values());
    if (a.json()) {
      Map<String, Object> doc = json(overall, targets, reports);
      List<Object> identities = (List<Object>) doc.get("identities");
      for (int i = 0; i < identities.size(); i++) {
        ((Map<String, Object>) identities.get(i)).put("receiver_rejections", rejections.json(daemonNames.get(i)));
      }
      ipv6.ifPresent(m -> doc.put("ipv6_mitigation", m.json()));
      doc.put("daemon_differs", differences.stream().map(DaemonDifference::json).toList());
      doc.put("receiver_rejections", rejections.summaryJson(shown));
      if (routeModel.isPresent()) {
        doc.put("relays", relaysJson(found)); // only where routes were read (not for --ip/--ehlo)
      }
      out.println(Json.write(doc));
    } else {
      CheckReport report = new CheckReport(out, colour);
      report.print(resolver, targets, reports, overall, exitCode(overall), i -> rejections.unavailable().isPresent()
          ? Optional.empty() : Optional.of(rejections.text(daemonNames.get(i))), rejectionsFooter(rejections, shown));
      ipv6.ifPresent(report::ipv6Mitigation);
      differences.forEach(d -> report.wrap("note: ", "      ", d.text()));
      printRelays(report, out, found);
    }
    return exitCode(overall);
  }

  /**
   * The daemon's names for a checked identity: its own name (route targets are named after all the
   * services sharing them, comma-separated), and the daemon's identity with the same address and EHLO name.
   */
  private static Set<String> daemonNames(DaemonRejections rejections, Target t, IdentityReport r) {
    return rejections.namesFor(List.of(t.identityName().split(",")), Optional.of(Addresses.text(r.identity().ip())),
        Optional.of(r.identity().ehlo()));
  }

  /** After the identities: why the daemon's rejections are missing, or those of identities not shown. */
  static List<String> rejectionsFooter(DaemonRejections rejections, Set<String> shown) {
    if (rejections.unavailable().isPresent()) {
      return List.of(rejections.unavailableLine());
    }
    return rejections.others(shown).stream()
        .map(e -> "receiver rejections of " + String.join(",", e.identities()) + " (running daemon): " + e.text())
        .toList();
  }

  /** The relays of relayed routes: reported for the admin, never part of the verdict or the exit code. */
  private static void printRelays(CheckReport report, PrintStream out, List<RelayReport> relays) {
    for (RelayReport r : relays) {
      out.println();
      report.wrap("relay ", "      ", r.nexthop() + " (service " + r.service() + "; receivers see the relay's "
          + "identity: reported, not judged)");
      RelayOutput.print(report, r);
    }
  }

  private static List<Object> relaysJson(List<RelayReport> relays) {
    List<Object> out = new ArrayList<>();
    for (RelayReport r : relays) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("service", r.service());
      m.putAll(RelayOutput.json(r));
      out.add(m);
    }
    return out;
  }

  /** Checks the values' forms: a bad --ip or --resolver is a usage error naming it. */
  static Request request(Arguments a) {
    List<InetAddress> ips = new ArrayList<>();
    for (String value : a.all("ip")) {
      ips.add(IpLiterals.parse(value.replaceAll("^\\[|]$", ""))
          .orElseThrow(() -> new IllegalArgumentException("--ip '" + value + "' is not an IP address")));
    }
    List<ResolverAddress> resolvers = a.all("resolver").stream().map(ResolverAddress::parse).toList();
    return new Request(a.config(), List.copyOf(ips), a.value("ehlo"), resolvers, a.has("json"),
        a.value("postfix-config").map(Path::of), a.value("socket").map(Path::of));
  }

  /** --ip/--ehlo describe one ad-hoc identity; otherwise the configured ones are checked. */
  private static List<IdentitySettings> identities(Request a, Settings settings) {
    if (a.ips().isEmpty() && a.ehlo().isEmpty()) {
      return settings.identities();
    }
    IdentitySettings base = settings.identities().get(0);
    Optional<String> ehlo = a.ehlo().filter(e -> !IdentitySettings.AUTO.equals(e));
    return List.of(new IdentitySettings("command-line", a.ips(), a.ips().isEmpty(), ehlo, List.of(), List.of(),
        base.genericPtr()));
  }

  /** The overall answer is the most severe identity's verdict (see {@link Verdict} for the order). */
  static Verdict overall(List<IdentityReport> reports) {
    return Verdict.worst(reports.stream().map(IdentityReport::verdict).toList());
  }

  static int exitCode(Verdict v) {
    return switch (v) {
      case PASS -> EXIT_PASS;
      case WARN -> EXIT_WARN;
      case FAIL -> EXIT_FAIL;
      case UNKNOWN -> EXIT_UNKNOWN;
    };
  }

  /** Each finding as a JSON object: code, severity, message, evidence, fix. */
  static List<Object> findingsJson(IdentityReport r) {
    List<Object> findings = new ArrayList<>();
    for (Finding f : r.findings()) {
      Map<String, Object> fm = new LinkedHashMap<>();
      fm.put("code", f.code());
      fm.put("severity", f.severity().word());
      fm.put("message", f.message());
      fm.put("evidence", f.evidence());
      fm.put("fix", f.fix());
      findings.add(fm);
    }
    return findings;
  }

  private static Map<String, Object> json(Verdict overall, List<Target> targets, List<IdentityReport> reports) {
    List<Object> identities = new ArrayList<>();
    for (int i = 0; i < reports.size(); i++) {
      IdentityReport r = reports.get(i);
      Target t = targets.get(i);
      Map<String, Object> id = new LinkedHashMap<>();
      id.put("name", t.identityName());
      id.put("ip", Addresses.text(r.identity().ip()));
      id.put("ehlo", r.identity().ehlo());
      id.put("ptr", r.ptrNames());
      id.put("verdict", r.verdict().word());
      id.put("findings", findingsJson(r));
      id.put("receivers", ReceiverMatrixOutput.json(ReceiverProfiles.standard().judge(r)));
      id.put("reverse_zone", r.reverseZone().map(z -> {
        Map<String, Object> zone = new LinkedHashMap<>();
        zone.put("zone", z.zone());
        zone.put("primary", z.soaPrimary());
        zone.put("name_servers", z.nameServers());
        return (Object) zone;
      }).orElse(null));
      Map<String, Object> sources = new LinkedHashMap<>();
      sources.put("ip", t.ipProvenance());
      sources.put("ehlo", t.ehloProvenance());
      id.put("sources", sources);
      identities.add(id);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("verdict", overall.word());
    doc.put("identities", identities);
    return doc;
  }
}
