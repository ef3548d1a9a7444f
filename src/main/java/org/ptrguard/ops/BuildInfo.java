package org.ptrguard.ops;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Which ptrguard this is: the version Maven built (build.properties, filtered at build time), and
 * the {@code ptrguard_build_info} metric that lets one Prometheus see which MTA runs which version.
 */
public final class BuildInfo {
  private static final String VERSION = load();

  private BuildInfo() {}

  /** The project version, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" if the build left no record. */
  public static String version() {
    return VERSION;
  }

  /** {@code ptrguard_build_info{version, java} 1}, the usual constant "info" gauge. */
  public static void register(Metrics metrics) {
    List<String> labels = List.of(VERSION, Runtime.version().toString());
    metrics.gauge("ptrguard_build_info", "Always 1; labels say which ptrguard and Java run here",
        List.of("version", "java"), () -> Map.of(labels, 1.0));
  }

  private static String load() {
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "").trim();
      // Unfiltered (the class run from an IDE's own output): no version is better than a placeholder.
      return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
