package org.ptrguard.identity;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.ptrguard.net.Addresses;

/**
 * Finds the MTA's outbound identity the way Postfix will use it: the bind addresses and HELO name
 * from postconf, else the address the kernel would pick towards the Internet. Each value carries
 * where it came from, because "why does ptrguard check this address?" is the first question.
 */
public final class IdentityDiscovery {
  /** A discovered value and its origin. */
  public record Discovered<T>(Optional<T> value, String provenance) {}

  private static final InetSocketAddress PUBLIC_V4 = new InetSocketAddress(ipLiteral("8.8.8.8"), 53);
  private static final InetSocketAddress PUBLIC_V6 = new InetSocketAddress(ipLiteral("2001:4860:4860::8888"), 53);

  private final List<String> postconf;
  private final Duration timeout;

  /** @param postconf the command, e.g. ["postconf"] or ["postconf", "-c", "/etc/postfix-out"] */
  public IdentityDiscovery(List<String> postconf, Duration timeout) {
    this.postconf = List.copyOf(postconf);
    this.timeout = timeout;
  }

  public static IdentityDiscovery system() {
    return new IdentityDiscovery(List.of("postconf"), Duration.ofSeconds(10));
  }

  /** The addresses Postfix sends from, IPv4 first; entries without a value explain why. */
  public List<Discovered<InetAddress>> addresses() {
    List<Discovered<InetAddress>> out = new ArrayList<>();
    Optional<String> protocols = parameter(false, "inet_protocols");
    String proto = protocols.orElse("all").toLowerCase(Locale.ROOT);
    boolean v4 = proto.contains("all") || proto.contains("ipv4");
    boolean v6 = proto.contains("all") || proto.contains("ipv6");
    if (v4) {
      out.add(address("smtp_bind_address", PUBLIC_V4, Inet4Address.class));
    }
    if (v6) {
      out.add(address("smtp_bind_address6", PUBLIC_V6, Inet6Address.class));
    }
    if (protocols.isEmpty()) {
      out.replaceAll(d -> new Discovered<>(d.value(), d.provenance() + "; inet_protocols unknown (postconf unavailable), both families tried"));
    }
    return out;
  }

  private Discovered<InetAddress> address(String parameter, InetSocketAddress towards, Class<? extends InetAddress> family) {
    Optional<String> bind = parameter(false, parameter).map(String::trim).filter(s -> !s.isEmpty());
    if (bind.isPresent()) {
      Optional<InetAddress> literal = literal(bind.get());
      return literal.isPresent() ? new Discovered<>(literal, parameter + " in Postfix's main.cf (postconf)")
          : new Discovered<>(Optional.empty(), parameter + " = '" + bind.get() + "' is not an address literal");
    }
    Optional<InetAddress> route = kernelSource(towards).filter(family::isInstance);
    if (route.isEmpty()) {
      return new Discovered<>(Optional.empty(), "no " + parameter + " set and no route to the Internet for this family");
    }
    InetAddress a = route.get();
    if (!isGlobal(a)) {
      return new Discovered<>(Optional.empty(), "the kernel's source address " + Addresses.text(a) + " is not public"
          + " (behind NAT: write the public address in identities.ip)");
    }
    return new Discovered<>(route, "kernel route to the Internet (no " + parameter + " set)");
  }

  /** The EHLO name: smtp_helo_name fully expanded, else the host's FQDN. */
  public Discovered<String> ehlo() {
    Optional<String> helo = parameter(true, "smtp_helo_name").map(String::trim).filter(s -> !s.isEmpty());
    if (helo.isPresent()) {
      return new Discovered<>(helo, "smtp_helo_name in Postfix's main.cf (postconf -x)");
    }
    try {
      String fqdn = InetAddress.getLocalHost().getCanonicalHostName();
      return new Discovered<>(Optional.of(fqdn), "the host's FQDN (postconf gave no smtp_helo_name)");
    } catch (IOException e) {
      return new Discovered<>(Optional.empty(), "no smtp_helo_name and the host name cannot be resolved: " + e.getMessage());
    }
  }

  /** {@code postconf [-x] -h NAME}, empty on any failure (missing binary, timeout, error exit). */
  Optional<String> parameter(boolean expand, String name) {
    List<String> command = new ArrayList<>(postconf);
    if (expand) {
      command.add("-x");
    }
    command.add("-h");
    command.add(name);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** connect() on a UDP socket only asks the routing table; no packet leaves the host. */
  public static Optional<InetAddress> kernelSource(InetSocketAddress towards) {
    try (DatagramSocket s = new DatagramSocket()) {
      s.connect(towards);
      InetAddress local = s.getLocalAddress();
      return local == null || local.isAnyLocalAddress() ? Optional.empty() : Optional.of(local);
    } catch (SocketException | IllegalArgumentException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** Public unicast: not loopback, link-local, RFC 1918, CGNAT, ULA or documentation-free-for-all. */
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

  private static Optional<InetAddress> literal(String s) {
    String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    return org.ptrguard.net.IpLiterals.parse(t);
  }

  private static InetAddress ipLiteral(String s) {
    return org.ptrguard.net.IpLiterals.parse(s).orElseThrow();
  }
}
