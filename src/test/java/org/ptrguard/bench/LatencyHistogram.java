package org.ptrguard.bench;

/**
 * Log-linear latency histogram (64 sub-buckets per power of two, so any percentile is within about
 * 1.6% of the recorded value) for one worker thread; merge the workers' histograms at the end. Not
 * thread safe on purpose: recording is an array increment on the measured path.
 */
public final class LatencyHistogram {
  private static final int SUB_BITS = 6;
  private static final int SUB = 1 << SUB_BITS;
  private final long[] counts = new long[64 * SUB];
  private long total;
  private long max;

  public void record(long nanos) {
    long v = Math.max(0, nanos);
    counts[index(v)]++;
    total++;
    max = Math.max(max, v);
  }

  public void add(LatencyHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    max = Math.max(max, other.max);
  }

  public long count() {
    return total;
  }

  public long maxNanos() {
    return max;
  }

  /** The value at quantile {@code q} (0 < q <= 1), as the upper edge of its bucket, in nanoseconds. */
  public long percentileNanos(double q) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.min(upperEdge(i), max);
      }
    }
    return max;
  }

  static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    // The top SUB_BITS + 1 bits of v: a leading 1 and the sub-bucket.
    int exponent = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
    int sub = (int) (v >>> exponent) - SUB;
    return SUB + exponent * SUB + sub;
  }

  static long upperEdge(int index) {
    if (index < SUB) {
      return index;
    }
    int exponent = (index - SUB) / SUB;
    long sub = (index - SUB) % SUB;
    return ((sub + SUB + 1) << exponent) - 1;
  }
}
