package org.ptrguard.net;

import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Optional;

/**
 * The source address the kernel would pick towards the Internet, per family, and whether an address
 * is public: what a host without an explicit bind address sends from, and whether receivers can see
 * it. Asking sends nothing (see {@link #sourceTowards}).
 */
public final class KernelRoutes {
  private KernelRoutes() {}

  /** Any public address of the family: only the routing table is asked, no packet is sent to it. */
  private static final InetSocketAddress INTERNET_V4 = new InetSocketAddress(literal("8.8.8.8"), 53);
  private static final InetSocketAddress INTERNET_V6 = new InetSocketAddress(literal("2001:4860:4860::8888"), 53);

  /** The kernel's source address towards the Internet over IPv4 ({@code ipv6 = false}) or IPv6. */
  public static Optional<InetAddress> internetSource(boolean ipv6) {
    return sourceTowards(ipv6 ? INTERNET_V6 : INTERNET_V4)
        .filter(a -> (a instanceof Inet4Address) != ipv6);
  }

  /** connect() on a UDP socket only asks the routing table; no packet leaves the host. */
  public static Optional<InetAddress> sourceTowards(InetSocketAddress towards) {
    try (DatagramSocket s = new DatagramSocket()) {
      s.connect(towards);
      InetAddress local = s.getLocalAddress();
      return local == null || local.isAnyLocalAddress() ? Optional.empty() : Optional.of(local);
    } catch (SocketException | IllegalArgumentException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** Public unicast: not loopback, link-local, RFC 1918, CGNAT, ULA, multicast or unspecified. */
  public static boolean isGlobal(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      return !((b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64); // 100.64.0.0/10, carrier-grade NAT
    }
    return (b[0] & 0xfe) != 0xfc; // fc00::/7, unique local
  }

  private static InetAddress literal(String s) {
    return IpLiterals.parse(s).orElseThrow();
  }
}
