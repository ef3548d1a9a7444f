package org.ptrguard.identity;

import java.util.Arrays;
import java.util.Optional;

/**
 * The lookups of an identity check that receivers make too, so that a temporary failure can be told
 * apart by which question went unanswered: Postfix's reject_unknown_reverse_client_hostname defers on a
 * failed PTR lookup only, reject_unknown_client_hostname also on the PTR name's forward lookup, and
 * reject_unknown_helo_hostname on the EHLO name's.
 */
public enum Lookup {
  /** The address's PTR records. */
  PTR("ptr"),
  /** The addresses of the PTR names (forward confirmation). */
  PTR_FORWARD("ptr-forward"),
  /** The addresses of the EHLO name. */
  EHLO("ehlo");

  private final String key;

  Lookup(String key) {
    this.key = key;
  }

  /** The name receivers.conf uses ({@code temporary-lookup = [ptr, ptr-forward]}). */
  public String key() {
    return key;
  }

  public static Optional<Lookup> ofKey(String key) {
    return Arrays.stream(values()).filter(l -> l.key.equals(key)).findFirst();
  }
}
