package org.ptrguard.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Parses IP address literals without ever asking DNS: {@link InetAddress#getByName} would resolve
 * anything that is not a literal, and a configuration or command line must not trigger lookups.
 */
public final class IpLiterals {
  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

  private IpLiterals() {}

  /** An IPv4 or IPv6 literal (IPv6 without brackets); empty for anything else. */
  public static Optional<InetAddress> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String s = text.trim();
    boolean v4 = IPV4.matcher(s).matches();
    boolean v6 = !v4 && s.indexOf(':') >= 0 && s.length() <= 45 && IPV6_CHARS.matcher(s).matches();
    if (!v4 && !v6) {
      return Optional.empty();
    }
    try {
      // Safe: a string of only digits, dots, hex and colons is parsed as a literal, never looked up.
      return Optional.of(InetAddress.getByName(s));
    } catch (UnknownHostException | SecurityException e) {
      return Optional.empty();
    }
  }

  /**
   * The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else the address itself.
   * Dual-stack sockets report IPv4 peers in that form, and its PTR lives in in-addr.arpa.
   */
  public static InetAddress unmapped(InetAddress a) {
    if (!(a instanceof Inet6Address)) {
      return a;
    }
    byte[] b = a.getAddress();
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return a;
      }
    }
    if ((b[10] & 0xff) != 0xff || (b[11] & 0xff) != 0xff) {
      return a;
    }
    try {
      return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
    } catch (UnknownHostException e) {
      throw new AssertionError("4 bytes are always a valid IPv4 address", e);
    }
  }
}
