package org.ptrguard.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;

/**
 * A DNS resolver written as {@code HOST}, {@code HOST:PORT}, {@code [IPv6]:PORT} or a bare IPv6
 * literal. HOST must be an address literal: resolving a resolver's name would need a resolver.
 */
public record ResolverAddress(InetAddress address, int port) {
  public static final int DNS_PORT = 53;

  public static ResolverAddress parse(String text) {
    String s = text == null ? "" : text.trim();
    String host = s;
    String port = null;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("resolver '" + s + "': missing ']' after the IPv6 address");
      }
      host = s.substring(1, close);
      String rest = s.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new IllegalArgumentException("resolver '" + s + "': expected ':PORT' after ']'");
        }
        port = rest.substring(1);
      }
    } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') >= 0) {
      host = s.substring(0, s.indexOf(':'));
      port = s.substring(s.indexOf(':') + 1);
    }
    Optional<InetAddress> address = IpLiterals.parse(host);
    if (address.isEmpty()) {
      throw new IllegalArgumentException("resolver '" + s
          + "': not an IP address (write HOST, HOST:PORT or [IPv6]:PORT with an address literal)");
    }
    return new ResolverAddress(address.get(), port == null ? DNS_PORT : parsePort(s, port));
  }

  private static int parsePort(String whole, String port) {
    try {
      int p = Integer.parseInt(port);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException("resolver '" + whole + "': port must be 1-65535, got '" + port + "'");
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  @Override
  public String toString() {
    return Addresses.hostPort(address, port);
  }
}
