package org.ptrguard.cli;

import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.ResolverAddress;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.Addresses;
import org.ptrguard.identity.Finding;
import org.ptrguard.identity.GenericNameClassifier;
import org.ptrguard.identity.IdentityChecker;
import org.ptrguard.identity.IdentityDiscovery;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Resolution;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.monitor.IdentityTargets;
import org.ptrguard.net.IpLiterals;

/**
 * {@code ptrguard check}: what strict receivers will see for each outbound identity, with the fix
 * for every finding. Made for a terminal, for cron (exit status) and for monitoring (--json).
 */
public final class CheckCommand {
  static final int EXIT_PASS = 0;
  static final int EXIT_WARN = 1;
  static final int EXIT_FAIL = 2;
  static final int EXIT_UNKNOWN = 3;
  static final int EXIT_USAGE = 64;
  static final int EXIT_CONFIG = 78;
  static final String USAGE =
      "usage: ptrguard check [--config FILE] [--ip IP]... [--ehlo NAME] [--resolver HOST[:PORT]]... [--json]";

  record Arguments(Optional<Path> config, List<InetAddress> ips, Optional<String> ehlo,
      List<ResolverAddress> resolvers, boolean json) {}

  private CheckCommand() {}

  public static int run(String[] args) {
    boolean colour = System.console() != null && System.getenv("NO_COLOR") == null
        && !"dumb".equals(System.getenv("TERM"));
    return run(args, System.out, System.err, colour, IdentityDiscovery.system());
  }

  static int run(String[] args, PrintStream out, PrintStream err, boolean colour, IdentityDiscovery discovery) {
    Arguments a;
    try {
      a = parse(args);
    } catch (IllegalArgumentException e) {
      err.println("ptrguard check: " + e.getMessage());
      err.println(USAGE);
      return EXIT_USAGE;
    }
    if (a == null) {
      out.println(USAGE);
      return EXIT_PASS;
    }
    Settings settings;
    try {
      settings = ConfigLoader.load(a.config()).settings();
    } catch (ConfigException e) {
      err.println("ptrguard: configuration is invalid:");
      e.problems().forEach(p -> err.println("  " + p));
      return EXIT_CONFIG;
    }
    boolean adHoc = !a.ips().isEmpty() || a.ehlo().isPresent();
    Resolution resolution = IdentityTargets.resolve(identities(a, settings), discovery, adHoc ? "command line" : "configured");
    resolution.problems().forEach(p -> err.println("ptrguard check: " + p));
    if (resolution.targets().isEmpty()) {
      err.println("ptrguard check: nothing to check (set identities in the configuration, or use --ip and --ehlo)");
      return EXIT_CONFIG;
    }
    DnsOptions dns = IdentityTargets.dnsOptions(settings.dns());
    if (!a.resolvers().isEmpty()) {
      dns = new DnsOptions(a.resolvers().stream().map(ResolverAddress::socketAddress).toList(), dns.compareWith(),
          dns.timeout(), dns.checkBudget());
    }
    List<IdentityReport> reports = new ArrayList<>();
    String resolver;
    try (IdentityChecker checker = new IdentityChecker(dns, GenericNameClassifier.standard())) {
      resolver = checker.resolverLabel();
      List<CompletableFuture<IdentityReport>> running = resolution.targets().stream()
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
    Verdict overall = overall(reports);
    if (a.json()) {
      out.println(Json.write(json(overall, resolution.targets(), reports)));
    } else {
      new CheckReport(out, colour).print(resolver, resolution.targets(), reports, overall);
    }
    return exitCode(overall);
  }

  static Arguments parse(String[] args) {
    Optional<Path> config = Optional.empty();
    List<InetAddress> ips = new ArrayList<>();
    Optional<String> ehlo = Optional.empty();
    List<ResolverAddress> resolvers = new ArrayList<>();
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> {
          return null;
        }
        case "--json" -> json = true;
        case "--config", "--ip", "--ehlo", "--resolver" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(arg + " needs a value");
          }
          String value = args[++i];
          switch (arg) {
            case "--config" -> config = Optional.of(Path.of(value));
            case "--ip" -> ips.add(IpLiterals.parse(value.replaceAll("^\\[|]$", ""))
                .orElseThrow(() -> new IllegalArgumentException("--ip '" + value + "' is not an IP address")));
            case "--ehlo" -> ehlo = Optional.of(value);
            default -> resolvers.add(ResolverAddress.parse(value));
          }
        }
        default -> throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
    }
    return new Arguments(config, List.copyOf(ips), ehlo, List.copyOf(resolvers), json);
  }

  /** --ip/--ehlo describe one ad-hoc identity; otherwise the configured ones are checked. */
  private static List<IdentitySettings> identities(Arguments a, Settings settings) {
    if (a.ips().isEmpty() && a.ehlo().isEmpty()) {
      return settings.identities();
    }
    List<String> ips = a.ips().isEmpty() ? List.of(IdentitySettings.AUTO)
        : a.ips().stream().map(InetAddress::getHostAddress).toList();
    IdentitySettings base = settings.identities().get(0);
    return List.of(new IdentitySettings("command-line", ips, a.ehlo().orElse(IdentitySettings.AUTO), List.of(), List.of(),
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
      id.put("findings", findings);
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
