package org.ptrguard.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads the admin's configuration file as one consistent snapshot and parses it, with includes
 * limited to local files.
 *
 * <p>A reload may come while the file is being written: an editor or {@code echo > file} truncates
 * the file and then writes it, so a read in between sees nothing or half of it. An empty file is
 * valid HOCON (every setting its default: audit mode, {@code ip = auto}, the system resolver), so a
 * read mid-edit must not be taken as the admin's choice. The rule: the text is used once the file
 * has stayed unchanged (size, times, inode and bytes) for a quiet period since it was last modified
 * ({@link #QUIET}, or {@link #QUIET_WHEN_BLANK} for a blank file). An empty file that stays empty
 * that long is a deliberate choice; it is loaded, with a warning. A file that never settles within
 * {@link #SETTLE_LIMIT} is refused and the running configuration stays.
 */
final class ConfigFile {
  static final Duration QUIET = Duration.ofMillis(100);
  static final Duration QUIET_WHEN_BLANK = Duration.ofSeconds(1);
  static final Duration SETTLE_LIMIT = Duration.ofSeconds(10);

  private ConfigFile() {}

  /** The text of {@code file} once it has settled. */
  static String readSettled(Path file) throws ConfigException {
    long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
    while (true) {
      Stamp before = Stamp.of(file);
      byte[] bytes = read(file);
      Stamp after = Stamp.of(file);
      if (before.equals(after)) {
        Duration quiet = isBlank(bytes) ? QUIET_WHEN_BLANK : QUIET;
        long ageMs = System.currentTimeMillis() - after.modifiedMs();
        if (ageMs >= quiet.toMillis() || ageMs < -1000) {
          return new String(bytes, StandardCharsets.UTF_8); // quiet long enough (or a clock set back)
        }
        sleep(quiet.toMillis() - ageMs);
        if (Stamp.of(file).equals(after) && Arrays.equals(read(file), bytes)) {
          return new String(bytes, StandardCharsets.UTF_8);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new ConfigException(file + ": the file kept changing for " + SETTLE_LIMIT.toSeconds()
            + " s while being read; not loaded");
      }
      sleep(20);
    }
  }

  static boolean isBlank(String text) {
    return text.isBlank();
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (!Character.isWhitespace(b)) {
        return false;
      }
    }
    return true;
  }

  /** Parses settled text from {@code file}; include problems are thrown, remarks added to {@code warnings}. */
  static Config parse(Path file, String text, List<String> warnings) {
    return ConfigFactory.parseString(text, options(file.toString(), new LocalIncluder(file, warnings)));
  }

  /** Options for text with no file behind it: it may not include anything. */
  static ConfigParseOptions inlineOptions(String origin) {
    return options(origin, new LocalIncluder(null, List.of()));
  }

  private static ConfigParseOptions options(String origin, ConfigIncluder includer) {
    return ConfigParseOptions.defaults().setOriginDescription(origin).setSyntax(ConfigSyntax.CONF)
        .setAllowMissing(false).setIncluder(includer);
  }

  private static byte[] read(Path file) throws ConfigException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such configuration file");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read: " + e.getMessage());
    }
  }

  private static void sleep(long ms) throws ConfigException {
    try {
      Thread.sleep(Math.max(1, ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("interrupted while reading the configuration");
    }
  }

  /** What changes when a file is rewritten in place or replaced (rename over it). */
  private record Stamp(long size, long modifiedNanos, long changedNanos, Object key) {
    static Stamp of(Path file) throws ConfigException {
      try {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        Object changed = Files.getAttribute(file, "unix:ctime");
        long ctime = changed instanceof java.nio.file.attribute.FileTime t ? nanos(t) : 0;
        return new Stamp(a.size(), nanos(a.lastModifiedTime()), ctime, Objects.requireNonNullElse(a.fileKey(), ""));
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        return basic(file);
      } catch (NoSuchFileException e) {
        throw new ConfigException(file + ": no such configuration file");
      } catch (IOException e) {
        throw new ConfigException(file + ": cannot be read: " + e.getMessage());
      }
    }

    private static Stamp basic(Path file) throws ConfigException {
      try {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(a.size(), nanos(a.lastModifiedTime()), 0, Objects.requireNonNullElse(a.fileKey(), ""));
      } catch (IOException e) {
        throw new ConfigException(file + ": cannot be read: " + e.getMessage());
      }
    }

    private static long nanos(java.nio.file.attribute.FileTime t) {
      return t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    long modifiedMs() {
      return modifiedNanos / 1_000_000;
    }
  }

  /**
   * Includes local files only, relative to the including file. A daemon's configuration must not
   * reach the network at load time (typesafe-config would fetch {@code include url(...)}), nor read
   * the jar ({@code classpath(...)}). A missing optional include is worth a warning: silence there
   * hides a typo that drops settings.
   */
  private record LocalIncluder(Path including, List<String> warnings)
      implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
      return this; // never fall back to typesafe-config's URL and classpath lookups
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
      if (what.matches("(?i)[a-z][a-z0-9+.-]*://.*")) {
        throw refused("include \"" + what + "\": a URL; only local files can be included");
      }
      return includeFile(context, new File(what));
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
      if (including == null) {
        throw refused("include " + what + ": inline configuration cannot include files");
      }
      Path file = what.isAbsolute() ? what.toPath() : including.toAbsolutePath().getParent().resolve(what.toPath());
      if (!Files.exists(file)) {
        if (context.parseOptions().getAllowMissing()) {
          warnings.add(including + ": include \"" + what + "\": no such file (" + file + "), skipped");
          return ConfigFactory.empty().root();
        }
        throw refused("include required(\"" + what + "\"): no such file (" + file + ")");
      }
      ConfigParseOptions options = context.parseOptions().setOriginDescription(null)
          .setIncluder(new LocalIncluder(file, warnings)).setAllowMissing(false);
      return ConfigFactory.parseFile(file.toFile(), options).root();
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
      throw refused("include url(\"" + what + "\"): a daemon's configuration must not reach the network;"
          + " copy the file locally and include it by path");
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
      throw refused("include classpath(\"" + what + "\"): only local files can be included");
    }

    private com.typesafe.config.ConfigException refused(String message) {
      return new com.typesafe.config.ConfigException.Generic((including == null ? "inline" : including.toString())
          + ": " + message);
    }
  }
}
