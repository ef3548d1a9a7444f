package org.ptrguard.postfix;

import java.time.Duration;

/** Doubling wait between retries, from a minimum to a maximum; {@link #reset()} after success. */
final class Backoff {
  private final Duration min;
  private final Duration max;
  private Duration next;

  Backoff(Duration min, Duration max) {
    this.min = min;
    this.max = max;
    this.next = min;
  }

  /** The wait to use now; the one after it is twice as long (up to the maximum). */
  Duration next() {
    Duration now = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return now;
  }

  void reset() {
    next = min;
  }
}
