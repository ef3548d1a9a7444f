package org.ptrguard.milter;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Decides which per-connection log lines are written: the first of each key (an event, or an event
 * and reason) per interval, the rest only counted and reported as {@code suppressed=N} on the next
 * line of that key. Anything a peer can cause once per connection (refusals, rejected frames,
 * protocol errors, timeouts) goes through here, so a client that loops cannot flood the journal;
 * the metrics still count every occurrence. One instance per server.
 */
final class LogRateLimit {
  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final LongSupplier clock;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    long suppressed;
    long lastLogged;
    boolean logged;
  }

  LogRateLimit() {
    this(System::nanoTime);
  }

  LogRateLimit(LongSupplier clock) {
    this.clock = clock;
  }

  /** -1: stay silent; otherwise log now, mentioning this many lines of the key left out since the last one. */
  long admit(String key) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    long now = clock.getAsLong();
    synchronized (w) {
      if (w.logged && now - w.lastLogged < INTERVAL_NANOS) {
        w.suppressed++;
        return -1;
      }
      w.logged = true;
      w.lastLogged = now;
      long left = w.suppressed;
      w.suppressed = 0;
      return left;
    }
  }

  void warn(Logger log, String key, String format, Object... args) {
    log(log, Level.WARN, key, format, args);
  }

  void info(Logger log, String key, String format, Object... args) {
    log(log, Level.INFO, key, format, args);
  }

  /** Logs {@code format} with {@code args} if admitted, with {@code suppressed=N} appended when N > 0. */
  void log(Logger log, Level level, String key, String format, Object... args) {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    long suppressed = admit(key);
    if (suppressed < 0) {
      return;
    }
    Object[] all = Arrays.copyOf(args, args.length + 1);
    all[args.length] = suppressed > 0 ? " suppressed=" + suppressed : "";
    log.atLevel(level).log(format + "{}", all);
  }
}
