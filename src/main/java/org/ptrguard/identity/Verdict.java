package org.ptrguard.identity;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A check's outcome, declared from least to most severe. The declaration order is the one severity order
 * of the whole program: a proven failure (FAIL) outranks "could not find out" (UNKNOWN, DNS trouble),
 * because on the enforce path a host that is known to fail must never be reported as merely unknown.
 */
public enum Verdict {
  PASS, WARN, UNKNOWN, FAIL;

  /** Least severe first; {@code SEVERITY.reversed()} lists the worst first, as reports show findings. */
  public static final Comparator<Verdict> SEVERITY = Comparator.naturalOrder();

  public static Verdict worst(Verdict a, Verdict b) {
    return SEVERITY.compare(a, b) >= 0 ? a : b;
  }

  /** The most severe of {@code verdicts}, or PASS when there are none. */
  public static Verdict worst(List<Verdict> verdicts) {
    Verdict worst = PASS;
    for (Verdict v : verdicts) {
      worst = worst(worst, v);
    }
    return worst;
  }

  public boolean isWorseThan(Verdict other) {
    return SEVERITY.compare(this, other) > 0;
  }

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
