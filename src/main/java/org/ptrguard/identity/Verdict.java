package org.ptrguard.identity;

import java.util.Locale;

/** A check's outcome, ordered from best to worst; UNKNOWN (DNS trouble) ranks above FAIL. */
public enum Verdict {
  PASS, WARN, FAIL, UNKNOWN;

  public static Verdict worst(Verdict a, Verdict b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
