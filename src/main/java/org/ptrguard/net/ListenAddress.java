package org.ptrguard.net;

import java.net.InetAddress;
import java.nio.file.Path;

/**
 * A milter listener: an address and port, a unix socket path, or a listening socket handed over by
 * systemd (socket activation; never parsed from configuration). See {@link #parse} for the spec forms.
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
      return "inet:" + Addresses.hostPort(address, port);
    }
  }

  record Unix(Path path) implements ListenAddress {
    /** sun_path holds 108 bytes on Linux, the terminating NUL included. */
    public static final int MAX_PATH_BYTES = 107;
    /**
     * The socket is first bound at {@code DIR/.ptrguard-PID.N/s} (at most 20 characters after the dash) next to its path and
     * then renamed into place (milter.UnixSocketFile), so that path must fit as well.
     */
    public static final int STAGING_EXTRA_BYTES = "/.ptrguard-".length() + 20 + "/s".length();

    public Unix {
      if (!path.isAbsolute()) {
        throw new IllegalArgumentException("unix socket path must be absolute: " + path);
      }
      // Checked here, at configuration time: a longer path used to be bound on the short staging
      // path and renamed, giving a "ready" daemon that no client could connect to.
      int bytes = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > MAX_PATH_BYTES) {
        throw new IllegalArgumentException("unix socket path is " + bytes + " bytes; the limit is " + MAX_PATH_BYTES
            + " (sun_path, 108 bytes with the terminating NUL): " + path);
      }
      Path dir = path.getParent();
      int dirBytes = dir == null ? 0 : dir.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (dirBytes + STAGING_EXTRA_BYTES > MAX_PATH_BYTES) {
        throw new IllegalArgumentException("unix socket directory is " + dirBytes + " bytes; the limit is "
            + (MAX_PATH_BYTES - STAGING_EXTRA_BYTES) + " (the socket is bound first in a private subdirectory there,"
            + " and that path must stay within sun_path's " + MAX_PATH_BYTES + " bytes): " + dir);
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

  /**
   * Refuses listeners that cannot all be bound: the same unix path twice, or one TCP port twice on
   * the same address or on a wildcard address (port 0, "any free port", never clashes). Checked with
   * the configuration, because a clash found while binding would otherwise be found only after the
   * first listener had started.
   *
   * @param metrics the metrics listener, which shares the port space
   * @throws IllegalArgumentException naming both listeners
   */
  static void checkDistinct(java.util.List<ListenAddress> listeners, java.util.Optional<java.net.InetSocketAddress> metrics) {
    java.util.List<java.util.Map.Entry<String, ListenAddress>> all = new java.util.ArrayList<>();
    listeners.forEach(l -> all.add(java.util.Map.entry("listener " + l, l)));
    metrics.ifPresent(m -> all.add(java.util.Map.entry("metrics.listen " + Addresses.hostPort(m.getAddress(), m.getPort()),
        new Inet(m.getAddress(), m.getPort()))));
    for (int i = 0; i < all.size(); i++) {
      for (int j = i + 1; j < all.size(); j++) {
        if (clash(all.get(i).getValue(), all.get(j).getValue())) {
          throw new IllegalArgumentException(all.get(i).getKey() + " and " + all.get(j).getKey()
              + " cannot both be bound (the same " + (all.get(i).getValue() instanceof Unix ? "path" : "port") + ")");
        }
      }
    }
  }

  private static boolean clash(ListenAddress a, ListenAddress b) {
    if (a instanceof Unix ua && b instanceof Unix ub) {
      return ua.path().normalize().equals(ub.path().normalize());
    }
    if (a instanceof Inet ia && b instanceof Inet ib) {
      return ia.port() != 0 && ia.port() == ib.port()
          && (ia.address().equals(ib.address()) || ia.address().isAnyLocalAddress() || ib.address().isAnyLocalAddress());
    }
    return false;
  }

  /** The forms {@link #parse} accepts, for error messages and help. */
  String FORMS = "inet:PORT@HOST, inet:HOST:PORT, inet6:PORT@HOST, unix:/path or local:/path";

  /**
   * Parses a socket spec in the forms Postfix's {@code smtpd_milters} and libmilter use, so an admin
   * can copy the string from main.cf: {@code inet:PORT@HOST} and {@code inet:HOST:PORT} (IPv4, or an
   * IPv6 literal in brackets), {@code inet6:PORT@HOST} (IPv6), {@code inet:PORT} / {@code inet6:PORT}
   * (every address, as libmilter), {@code unix:/path} and {@code local:/path}. HOST may be a name
   * such as {@code localhost}, resolved here, once (through /etc/hosts or DNS as the system does).
   *
   * @throws IllegalArgumentException with a message naming the spec, the problem and the forms
   */
  static ListenAddress parse(String spec) {
    if (spec == null || spec.isEmpty()) {
      throw invalid(String.valueOf(spec), "it is empty");
    }
    int colon = spec.indexOf(':');
    if (colon < 0) {
      throw invalid(spec, "it has no type (inet:, inet6:, unix: or local:)");
    }
    String type = spec.substring(0, colon);
    String rest = spec.substring(colon + 1);
    return switch (type) {
      case "unix", "local" -> unix(spec, rest);
      case "inet" -> inet(spec, rest, false);
      case "inet6" -> inet(spec, rest, true);
      default -> throw invalid(spec, "unknown type '" + type + "'");
    };
  }

  private static IllegalArgumentException invalid(String spec, String problem) {
    return new IllegalArgumentException("listener '" + spec + "' is invalid: " + problem + "; use " + FORMS);
  }

  private static Unix unix(String spec, String path) {
    if (!path.startsWith("/") || path.length() < 2) {
      throw invalid(spec, "the socket path must be absolute");
    }
    if (path.indexOf('\0') >= 0) {
      throw invalid(spec, "the socket path contains a NUL byte");
    }
    return new Unix(Path.of(path));
  }

  private static Inet inet(String spec, String rest, boolean ipv6) {
    String host;
    String port;
    int at = rest.indexOf('@');
    if (at >= 0) {
      port = rest.substring(0, at);
      host = rest.substring(at + 1);
      if (host.isEmpty()) {
        throw invalid(spec, "no host after '@'");
      }
    } else if (rest.startsWith("[") || rest.indexOf(':') >= 0 && !ipv6) {
      int last = rest.lastIndexOf(':');
      if (last <= 0) {
        throw invalid(spec, "no port");
      }
      host = rest.substring(0, last);
      port = rest.substring(last + 1);
      if (!host.startsWith("[") && host.indexOf(':') >= 0) {
        throw invalid(spec, "an IPv6 address must be in brackets: inet:[::1]:PORT or inet6:PORT@::1");
      }
    } else {
      host = "";
      port = rest;
    }
    int number = port(spec, port);
    return new Inet(address(spec, host, ipv6), number);
  }

  private static int port(String spec, String port) {
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw invalid(spec, "port '" + port + "' is not a number from 0 to 65535");
    }
    int number = Integer.parseInt(port);
    if (number > 65535) {
      throw invalid(spec, "port " + number + " is above 65535");
    }
    return number;
  }

  private static InetAddress address(String spec, String host, boolean ipv6) {
    if (host.isEmpty()) {
      // libmilter's inet:PORT: every address of the family (allow-from still limits who may talk).
      return IpLiterals.parse(ipv6 ? "::" : "0.0.0.0").orElseThrow();
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    java.util.Optional<InetAddress> literal = IpLiterals.parse(bare);
    if (literal.isPresent()) {
      if (ipv6 && !(literal.get() instanceof java.net.Inet6Address)) {
        throw invalid(spec, "inet6: needs an IPv6 address, " + bare + " is IPv4");
      }
      return literal.get();
    }
    if (!bare.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9.])?")) {
      throw invalid(spec, "'" + host + "' is neither an IP address nor a host name");
    }
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(bare);
    } catch (java.net.UnknownHostException e) {
      throw invalid(spec, "host name '" + bare + "' does not resolve");
    }
    Class<?> family = ipv6 ? java.net.Inet6Address.class : java.net.Inet4Address.class;
    for (InetAddress a : all) {
      if (family.isInstance(a)) {
        return a;
      }
    }
    throw invalid(spec, "host name '" + bare + "' has no " + (ipv6 ? "IPv6" : "IPv4") + " address");
  }
}
