package org.ptrguard.net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The one place addresses are written as text: {@link #text} as admins write them (IPv6 in RFC 5952
 * form, 2001:db8::10, not Java's long form), {@link #hostPort} for an address with a port.
 */
public final class Addresses {
  private Addresses() {}

  /**
   * {@code HOST:PORT}, an IPv6 host in brackets. The host keeps Java's long IPv6 form, which listener,
   * resolver and metrics lines have always shown.
   */
  public static String hostPort(InetAddress address, int port) {
    String host = address.getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  public static String text(InetAddress address) {
    return address instanceof Inet4Address ? address.getHostAddress() : text(address.getAddress());
  }

  public static String text(byte[] b) {
    if (b.length == 4) {
      return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    // The longest run of two or more zero groups becomes "::" (the first one on a tie).
    int bestStart = -1;
    int bestLength = 0;
    for (int i = 0; i < 8;) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength && j - i >= 2) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLength - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(groups[i]));
    }
    return s.toString();
  }
}
