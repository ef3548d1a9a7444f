package org.ptrguard.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Map;
import java.util.Optional;

/**
 * Logging set-up for slf4j-simple with {@link PtrguardLogger}'s logfmt lines. When stderr is
 * connected to the journal, lines carry their sd-daemon priority and no timestamp; elsewhere they
 * start with {@code ts=} (see {@link LogTimestamp}).
 *
 * <p>{@code JOURNAL_STREAM} alone does not prove that: systemd sets it for the service, and every
 * process the service starts inherits it, including ones whose stderr was redirected elsewhere. As
 * sd_journal_stream_fd(3) advises, it counts only when its {@code device:inode} is stderr's.
 *
 * <p>{@link #init} must run before the first logger is created: slf4j-simple reads its settings once.
 */
public final class Logging {
  private static final Path STDERR = Path.of("/proc/self/fd/2");
  private static volatile int threshold = PtrguardLogger.INFO;
  private static volatile boolean journal;
  /** The JVM reads the zone once at start too (TZ); formatting looks it up per second, not per line. */
  private static final ZoneId ZONE = ZoneId.systemDefault();

  private Logging() {}

  public static void init(Map<String, String> env) {
    journal = isJournalStream(env.get("JOURNAL_STREAM"), stderrDeviceAndInode());
    System.setProperty("slf4j.provider", PtrguardLoggerProvider.class.getName());
    // SLF4J otherwise announces the explicitly chosen provider on stderr at every start.
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "WARN");
    }
  }

  /** True when {@code journalStream} ("device:inode", decimal, as systemd sets it) names stderr. */
  static boolean isJournalStream(String journalStream, Optional<String> stderr) {
    return journalStream != null && stderr.isPresent() && journalStream.strip().equals(stderr.get());
  }

  /** stderr's "device:inode", as systemd writes it into JOURNAL_STREAM; empty where it cannot be read. */
  static Optional<String> stderrDeviceAndInode() {
    try {
      return Optional.of(Files.getAttribute(STDERR, "unix:dev") + ":" + Files.getAttribute(STDERR, "unix:ino"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** Applies {@code log.level} to ptrguard's own loggers; takes effect at once (used on reload). */
  public static void setLevel(LogLevel level) {
    threshold = switch (level) {
      case ERROR -> PtrguardLogger.ERROR;
      case WARN -> PtrguardLogger.WARN;
      case INFO -> PtrguardLogger.INFO;
      case DEBUG -> PtrguardLogger.DEBUG;
      case TRACE -> PtrguardLogger.TRACE;
    };
  }

  static int threshold() {
    return threshold;
  }

  static boolean journal() {
    return journal;
  }

  static String timestamp() {
    return LogTimestamp.format(System.currentTimeMillis(), ZONE);
  }
}
