package org.ptrguard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags the package ships, read from packaging/bin/ptrguard itself (the options between
 * {@code exec "$JAVA"} and {@code -jar}), so the benchmarks measure what an installed ptrguard runs
 * with and cannot drift from the launcher.
 */
public final class Launcher {
  private Launcher() {}

  public static Path script() {
    return Path.of(System.getProperty("ptrguard.launcher", "packaging/bin/ptrguard")).toAbsolutePath();
  }

  /** The launcher's JVM options, with its state directory replaced by {@code stateDir}. */
  public static List<String> jvmFlags(Path stateDir) {
    List<String> lines;
    try {
      lines = Files.readAllLines(script());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the launcher " + script(), e);
    }
    List<String> flags = new ArrayList<>();
    boolean inExec = false;
    for (String line : lines) {
      String t = line.trim();
      if (t.startsWith("exec \"$JAVA\"")) {
        inExec = true;
        continue;
      }
      if (!inExec) {
        continue;
      }
      for (String token : t.replace("\\", " ").trim().split("\\s+")) {
        if (token.equals("-jar")) {
          return validated(flags);
        }
        if (token.startsWith("-")) {
          flags.add(token.replace("\"$STATE_DIR\"", stateDir.toString()).replace("$STATE_DIR", stateDir.toString()));
        }
      }
    }
    throw new IllegalStateException("no exec \"$JAVA\" ... -jar line in " + script());
  }

  private static List<String> validated(List<String> flags) {
    if (flags.stream().noneMatch(f -> f.startsWith("-Xmx"))) {
      throw new IllegalStateException("launcher " + script() + " sets no -Xmx: " + flags);
    }
    return List.copyOf(flags);
  }
}
