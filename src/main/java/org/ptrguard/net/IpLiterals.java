package org.ptrguard.net;

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
}
