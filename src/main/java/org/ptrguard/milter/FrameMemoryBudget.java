package org.ptrguard.milter;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes all connections of one server hold in frames that have not fully arrived. Each
 * connection's own limit (max-frame-bytes) is not enough: a thousand connections each holding most
 * of a 1 MiB frame exhaust a 64 MiB JVM and every session fails, Postfix's included. Once the total
 * is over the budget, a connection holding more than {@link #FLOOR} bytes of an incomplete frame is
 * closed when it adds to it; connections with small frames, which is all Postfix sends in normal
 * operation, are never the ones closed.
 */
final class FrameMemoryBudget {
  /** Partial frames up to this size are never refused: far more than any Postfix command frame. */
  static final int FLOOR = 4096;
  private static final long MIN_BUDGET = 4L << 20;

  private final long limit;
  private final AtomicLong held = new AtomicLong();

  FrameMemoryBudget(long limit) {
    this.limit = limit;
  }

  /** A quarter of the heap limit; Netty's direct memory limit defaults to the same size as the heap. */
  static FrameMemoryBudget forThisJvm() {
    return new FrameMemoryBudget(Math.max(MIN_BUDGET, Runtime.getRuntime().maxMemory() / 4));
  }

  /** Adds {@code delta} (negative to release) and returns the new total. */
  long change(long delta) {
    return delta == 0 ? held.get() : held.addAndGet(delta);
  }

  long limit() {
    return limit;
  }

  long held() {
    return held.get();
  }
}
