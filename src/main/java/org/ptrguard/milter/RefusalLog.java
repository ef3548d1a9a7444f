package org.ptrguard.milter;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Decides which refused connections get a log line: the first of each reason per interval, the
 * rest only counted and reported on the next line. A client that opens connections in a loop must
 * not be able to flood the journal; the metrics still count every refusal.
 */
final class RefusalLog {
  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final LongSupplier clock;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    final AtomicLong suppressed = new AtomicLong();
    volatile long lastLogged = Long.MIN_VALUE;
  }

  RefusalLog() {
    this(System::nanoTime);
  }

  RefusalLog(LongSupplier clock) {
    this.clock = clock;
  }

  /** -1: stay silent; otherwise log now, mentioning this many refusals left unlogged since the last line. */
  long admit(String reason) {
    Window w = windows.computeIfAbsent(reason, r -> new Window());
    long now = clock.getAsLong();
    synchronized (w) {
      if (w.lastLogged != Long.MIN_VALUE && now - w.lastLogged < INTERVAL_NANOS) {
        w.suppressed.incrementAndGet();
        return -1;
      }
      w.lastLogged = now;
      return w.suppressed.getAndSet(0);
    }
  }
}
