package org.ptrguard.cli;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.ConfigLoader.LoadedConfig;

/**
 * {@code ptrguard config [--config FILE]}: validates the configuration and prints the effective
 * value of every key with where it came from, so an admin can see what a reload would apply.
 */
public final class ConfigCommand {
  /** sysexits(3) EX_CONFIG. */
  public static final int EXIT_CONFIG = 78;
  static final int EXIT_USAGE = 64;

  private ConfigCommand() {}

  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Optional<Path> file = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Optional.of(Path.of(args[++i]));
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        out.println("usage: ptrguard config [--config FILE]");
        return 0;
      } else {
        err.println("ptrguard config: unexpected argument '" + args[i] + "' (usage: ptrguard config [--config FILE])");
        return EXIT_USAGE;
      }
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
    Map<String, ConfigValue> sorted = new TreeMap<>();
    loaded.merged().entrySet().forEach(e -> sorted.put(e.getKey(), e.getValue()));
    ConfigRenderOptions concise = ConfigRenderOptions.concise().setJson(false);
    sorted.forEach((key, value) ->
        out.println(key + " = " + value.render(concise) + "    # " + origin(value)));
    return 0;
  }

  private static String origin(ConfigValue value) {
    String description = value.origin().description();
    // reference.conf's origin names the jar URL; "built-in default" is what the admin needs to know.
    return description.startsWith("reference.conf") || description.contains("reference.conf @")
        ? "built-in default" : description;
  }
}
