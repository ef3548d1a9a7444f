package org.ptrguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free loopback TCP ports for external servers (Postfix, smtp-sink) that need the number up front.
 * The kernel picks the port (bind to 0), and ports handed out in this JVM are never handed out twice,
 * because Postfix listens with SO_REUSEPORT and two instances on one port would not notice each other.
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  private FreePorts() {}

  public static synchronized int next() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = probe();
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no fresh free loopback port after 50 attempts");
  }

  /**
   * A loopback UDP port nobody listens on (a DNS resolver that is down): the kernel picks it, the
   * socket is closed again, so a query there meets a closed port.
   */
  public static int closedUdp() {
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a loopback UDP port", e);
    }
  }

  private static int probe() {
    // Binding both loopbacks on one number keeps IPv4 and IPv6 listeners of an instance on the same port.
    try (ServerSocket v4 = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = v4.getLocalPort();
      if (Loopback.hasIpv6()) {
        try (ServerSocket v6 = new ServerSocket(port, 1, InetAddress.getByName("::1"))) {
          return v6.getLocalPort();
        } catch (IOException busyOnIpv6) {
          return probe();
        }
      }
      return port;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a loopback port", e);
    }
  }
}
