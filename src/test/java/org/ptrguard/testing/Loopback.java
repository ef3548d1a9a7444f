package org.ptrguard.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** What the loopback interface of this network namespace offers. */
public final class Loopback {
  private static volatile Boolean ipv6;

  private Loopback() {}

  /** True when ::1 can be bound (IPv6 may be disabled in containers). */
  public static boolean hasIpv6() {
    Boolean known = ipv6;
    if (known == null) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
        known = true;
      } catch (IOException e) {
        known = false;
      }
      ipv6 = known;
    }
    return known;
  }
}
