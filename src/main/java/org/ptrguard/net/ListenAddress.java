package org.ptrguard.net;

import java.net.InetAddress;
import java.nio.file.Path;

/**
 * A milter listener: {@code inet:HOST:PORT} (IP literal; IPv6 in brackets), {@code unix:/path}, or a
 * listening socket handed over by systemd (socket activation; never parsed from configuration).
 */
public sealed interface ListenAddress {

  record Inet(InetAddress address, int port) implements ListenAddress {
    public Inet {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535, got " + port);
      }
    }

    @Override
    public String toString() {
      String host = address.getHostAddress();
      return "inet:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  record Unix(Path path) implements ListenAddress {
    public Unix {
      if (!path.isAbsolute()) {
        throw new IllegalArgumentException("unix socket path must be absolute: " + path);
      }
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }

  /**
   * An already listening socket inherited from systemd ({@code LISTEN_FDS}); systemd owns its address,
   * so it outlives our restarts and Postfix's connections queue in its backlog meanwhile.
   */
  record Inherited(int fd, String name) implements ListenAddress {
    public Inherited {
      if (fd < 3) {
        throw new IllegalArgumentException("inherited sockets start at descriptor 3, got " + fd);
      }
    }

    @Override
    public String toString() {
      return "systemd:" + name + "(fd " + fd + ")";
    }
  }

  /** @throws IllegalArgumentException with a message naming the expected forms */
  static ListenAddress parse(String spec) {
    String usage = "listener '" + spec + "' must be inet:HOST:PORT (IP literal, IPv6 as [::1]) or unix:/absolute/path";
    if (spec == null) {
      throw new IllegalArgumentException(usage);
    }
    if (spec.startsWith("unix:")) {
      String p = spec.substring(5);
      if (!p.startsWith("/") || p.length() < 2 || p.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(usage);
      }
      return new Unix(Path.of(p));
    }
    if (!spec.startsWith("inet:")) {
      throw new IllegalArgumentException(usage);
    }
    String rest = spec.substring(5);
    int colon = rest.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(usage);
    }
    String host = rest.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException(usage);
    }
    InetAddress address = IpLiterals.parse(host).orElseThrow(() -> new IllegalArgumentException(usage));
    int port;
    try {
      port = Integer.parseInt(rest.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(usage);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(usage);
    }
    return new Inet(address, port);
  }
}
