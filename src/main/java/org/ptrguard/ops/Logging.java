package org.ptrguard.ops;

import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Logging set-up for slf4j-simple. Under systemd ({@code JOURNAL_STREAM} set) every line starts
 * with its sd-daemon priority ({@code <6>}) and carries no timestamp, because journald adds its own
 * and files the line at that priority; elsewhere lines carry a timestamp, written by
 * {@link LogTimestamp} unless slf4j-simple's own layout settings were changed on the command line.
 *
 * <p>{@link #init} must run before the first logger is created: slf4j-simple reads its settings once.
 */
public final class Logging {
  static final String PROPERTY_PREFIX = "org.slf4j.simpleLogger.";
  private static volatile int threshold = PtrguardLogger.INFO;
  private static volatile boolean journal;
  /** Null when slf4j-simple writes the timestamps itself (or there are none). */
  private static volatile ZoneId ownTimestamps;

  private Logging() {}

  public static void init(Map<String, String> env) {
    journal = env.containsKey("JOURNAL_STREAM");
    System.setProperty("slf4j.provider", PtrguardLoggerProvider.class.getName());
    // SLF4J otherwise announces the explicitly chosen provider on stderr at every start.
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "WARN");
    }
    if (journal && System.getProperty(PROPERTY_PREFIX + "showDateTime") == null) {
      System.setProperty(PROPERTY_PREFIX + "showDateTime", "false");
    }
    // Our timestamp is written where the level starts, so it leads the line only in the default layout.
    // (A second init in the same JVM, as in tests, must not mistake our own setting for the admin's.)
    boolean layoutUntouched = List.of("showDateTime", "dateTimeFormat", "showThreadName", "showThreadId",
        "levelInBrackets").stream().allMatch(key -> System.getProperty(PROPERTY_PREFIX + key) == null
            || (ownTimestamps != null && key.equals("showDateTime")));
    ownTimestamps = null;
    if (!journal && layoutUntouched) {
      System.setProperty(PROPERTY_PREFIX + "showDateTime", "false");
      // The JVM reads the zone once at start too (TZ); formatting looks it up per second, not per line.
      ownTimestamps = ZoneId.systemDefault();
    }
  }

  /** Applies {@code log.level} to ptrguard's own loggers; takes effect at once (used on reload). */
  public static void setLevel(String level) {
    threshold = switch (level.toLowerCase(Locale.ROOT)) {
      case "error" -> PtrguardLogger.ERROR;
      case "warn" -> PtrguardLogger.WARN;
      case "debug" -> PtrguardLogger.DEBUG;
      case "trace" -> PtrguardLogger.TRACE;
      default -> PtrguardLogger.INFO;
    };
  }

  static int threshold() {
    return threshold;
  }

  static boolean journal() {
    return journal;
  }

  /** "timestamp " for the start of a line, or "" when slf4j-simple handles timestamps. */
  static String timestampPrefix() {
    ZoneId zone = ownTimestamps;
    return zone == null ? "" : LogTimestamp.format(System.currentTimeMillis(), zone) + " ";
  }
}
