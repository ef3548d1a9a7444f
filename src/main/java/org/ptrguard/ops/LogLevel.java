package org.ptrguard.ops;

import java.util.Locale;

/** The levels {@code log.level} can name, from the fewest lines to the most. */
public enum LogLevel {
  ERROR, WARN, INFO, DEBUG, TRACE;

  /** The word as written in the configuration ("info"). */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
