package org.ptrguard.cli;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.ConfigLoader.LoadedConfig;
import org.ptrguard.identity.PublicSuffixes;
import org.ptrguard.config.Settings;
import org.ptrguard.postfix.IdentityOverride;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteModel;

/**
 * {@code ptrguard config [--config FILE]}: validates the configuration and prints the effective
 * value of every key with where it came from, so an admin can see what a reload would apply.
 */
public final class ConfigCommand {
  /** sysexits(3) EX_CONFIG. */
  public static final int EXIT_CONFIG = Commands.EXIT_CONFIG;
  static final int EXIT_USAGE = Commands.EXIT_USAGE;

  public static final Command SPEC = new Command("config", "",
      "Validate the configuration and print every effective value.",
      "Read the configuration as serve would, report every problem with file and line, and print the "
          + "effective value of every key with where it came from (the file and line, or the built-in default). "
          + "Run it before 'systemctl reload ptrguard' to see what the reload would apply.",
      List.of(CommonOptions.CONFIG, CommonOptions.POSTFIX_CONFIG),
      List.of(),
      List.of(new Command.ExitCode(0, "the configuration is valid (warnings, such as unknown keys, go to stderr)"),
          CommonOptions.USAGE_ERROR,
          CommonOptions.INTERNAL_ERROR,
          new Command.ExitCode(EXIT_CONFIG, "the configuration is invalid or unreadable (the message names the "
              + "file and the reason)")),
      0, ConfigCommand::run);

  private ConfigCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    Optional<Path> file;
    Optional<Path> postfix;
    try {
      Arguments parsed = Commands.parse(SPEC, args, out, err);
      file = parsed.config();
      postfix = parsed.value("postfix-config").map(Path::of);
    } catch (CommandExit e) {
      return e.status();
    }
    LoadedConfig loaded;
    try {
      loaded = ConfigLoader.load(file);
    } catch (ConfigException e) {
      err.println("ptrguard: configuration is invalid:");
      e.problems().forEach(p -> err.println("  " + p));
      return EXIT_CONFIG;
    }
    loaded.warnings().forEach(w -> err.println("ptrguard: warning: " + w));
    out.println("# effective configuration from " + loaded.source());
    // Where registrable domains come from (PTR/EHLO names, generic-name checks): Debian's list or the embedded subset.
    out.println("# public suffixes: " + PublicSuffixes.system().description());
    Map<String, ConfigValue> sorted = new TreeMap<>();
    loaded.merged().entrySet().forEach(e -> sorted.put(e.getKey(), e.getValue()));
    ConfigRenderOptions concise = ConfigRenderOptions.concise().setJson(false);
    sorted.forEach((key, value) ->
        out.println(key + " = " + value.render(concise) + "    # " + origin(value)));
    RouteDiscovery discovery = RouteChecks.discovery(postfix, loaded.settings());
    routeMapping(discovery, RouteChecks.discover(discovery, loaded.settings()), loaded.settings()).forEach(out::println);
    return 0;
  }

  /** How each identity of the file lands on Postfix's routes (comment lines, after the values). */
  static List<String> routeMapping(RouteDiscovery discovery, RouteModel model, Settings settings) {
    List<String> lines = new ArrayList<>();
    lines.add("# identities over Postfix's routes (" + model.config().parameter("config_directory")
        + "; `ptrguard routes` shows every route):");
    if (model.unavailable().isPresent()) {
      lines.add("#   routes unknown: " + model.unavailable().get() + "; identities are checked as written");
      return lines;
    }
    List<IdentityOverride> overrides = RouteChecks.overrides(settings);
    for (IdentityOverride o : overrides) {
      if (!o.changesAnything()) {
        lines.add("#   identity " + o.name() + ": ip and ehlo auto: no override, routes use what Postfix is configured with");
        continue;
      }
      List<String> services = discovery.servicesOf(model.config(), o).stream().filter(s -> model.service(s).isPresent()).toList();
      String how = !o.services().isEmpty() ? "services" : !o.senders().isEmpty()
          ? "senders via sender_dependent_default_transport_maps" : "default_transport and relay_transport";
      lines.add("#   identity " + o.name() + ": " + (services.isEmpty()
          ? "matches no master.cf service (" + how + "); checked as written by ptrguard check"
          : "overrides address/EHLO of service " + String.join(", ", services) + " (" + how + ")"));
    }
    return lines;
  }

  private static String origin(ConfigValue value) {
    String description = value.origin().description();
    // reference.conf's origin names the jar URL; "built-in default" is what the admin needs to know.
    return description.startsWith("reference.conf") || description.contains("reference.conf @")
        ? "built-in default" : description;
  }
}
