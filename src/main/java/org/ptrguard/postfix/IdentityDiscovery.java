package org.ptrguard.postfix;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.net.KernelRoutes;

/**
 * Finds the MTA's outbound identity the way Postfix will use it: the bind addresses and HELO name
 * from postconf, else the address the kernel would pick towards the Internet. Each value carries
 * where it came from, because "why does ptrguard check this address?" is the first question.
 * Used for configured identities without an address or EHLO name ({@code ip = auto}); in route mode
 * {@link RouteDiscovery} gives the same per master.cf service.
 */
public final class IdentityDiscovery {
  /** A discovered value and its origin. */
  public record Discovered<T>(Optional<T> value, String provenance) {}

  private final PostfixTools tools;

  /** @param tools postconf for the Postfix instance whose identity is wanted */
  public IdentityDiscovery(PostfixTools tools) {
    this.tools = tools;
  }

  /** The default instance (or MAIL_CONFIG's). */
  public static IdentityDiscovery system() {
    return new IdentityDiscovery(PostfixTools.forInstance(Optional.empty()));
  }

  /** The addresses Postfix sends from, IPv4 first; entries without a value explain why. */
  public List<Discovered<InetAddress>> addresses() {
    List<Discovered<InetAddress>> out = new ArrayList<>();
    Optional<String> protocols = parameter(false, "inet_protocols");
    String proto = protocols.orElse("all").toLowerCase(Locale.ROOT);
    boolean v4 = proto.contains("all") || proto.contains("ipv4");
    boolean v6 = proto.contains("all") || proto.contains("ipv6");
    if (v4) {
      out.add(address("smtp_bind_address", false, Inet4Address.class));
    }
    if (v6) {
      out.add(address("smtp_bind_address6", true, Inet6Address.class));
    }
    if (protocols.isEmpty()) {
      out.replaceAll(d -> new Discovered<>(d.value(), d.provenance() + "; inet_protocols unknown (postconf unavailable), both families tried"));
    }
    return out;
  }

  private Discovered<InetAddress> address(String parameter, boolean ipv6, Class<? extends InetAddress> family) {
    Optional<String> bind = parameter(false, parameter).map(String::trim).filter(s -> !s.isEmpty());
    if (bind.isPresent()) {
      Optional<InetAddress> literal = literal(bind.get());
      return literal.isPresent() ? new Discovered<>(literal, parameter + " in Postfix's main.cf (postconf)")
          : new Discovered<>(Optional.empty(), parameter + " = '" + bind.get() + "' is not an address literal");
    }
    Optional<InetAddress> route = KernelRoutes.internetSource(ipv6).filter(family::isInstance);
    if (route.isEmpty()) {
      return new Discovered<>(Optional.empty(), "no " + parameter + " set and no route to the Internet for this family");
    }
    InetAddress a = route.get();
    if (!KernelRoutes.isGlobal(a)) {
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

  /** {@code postconf [-x] -h NAME} through {@link PostfixTools}; empty on any failure (missing binary, timeout, error exit). */
  Optional<String> parameter(boolean expand, String name) {
    PostfixTools.Result r = expand ? tools.postconf("-x", "-h", name) : tools.postconf("-h", name);
    return r.ok() ? Optional.of(r.stdout().trim()) : Optional.empty();
  }

  private static Optional<InetAddress> literal(String s) {
    String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    return IpLiterals.parse(t);
  }
}
