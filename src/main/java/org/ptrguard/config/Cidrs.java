package org.ptrguard.config;

import java.net.InetAddress;
import java.util.Optional;

/** Validation of CIDR strings ("192.0.2.0/24", "2001:db8::/32", or a single address). */
final class Cidrs {
  private Cidrs() {}

  static Optional<String> problem(String cidr) {
    String s = cidr.trim();
    int slash = s.indexOf('/');
    String host = slash < 0 ? s : s.substring(0, slash);
    Optional<InetAddress> address = IpLiterals.parse(host);
    if (address.isEmpty()) {
      return Optional.of("'" + cidr + "' is not an address or CIDR range (e.g. 192.0.2.0/24, 2001:db8::/32)");
    }
    if (slash < 0) {
      return Optional.empty();
    }
    int max = address.get().getAddress().length * 8;
    try {
      int prefix = Integer.parseInt(s.substring(slash + 1));
      if (prefix >= 0 && prefix <= max) {
        return Optional.empty();
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    return Optional.of("'" + cidr + "': prefix length must be 0-" + max);
  }
}
