package org.ptrguard.config;

import com.typesafe.config.ConfigOrigin;

/** Where a configuration value came from, as problems and warnings name it. */
final class Origins {
  private Origins() {}

  /** "file: 12: " for a value's origin, as typesafe-config writes it in its own messages. */
  static String where(ConfigOrigin origin) {
    return origin == null ? "" : origin.description() + ": ";
  }
}
