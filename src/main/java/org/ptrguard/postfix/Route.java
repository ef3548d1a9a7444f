package org.ptrguard.postfix;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * One way mail leaves this Postfix: the master.cf service that delivers it, why Postfix picks it,
 * where it goes next, and (only when receivers see this host directly) the identity it leaves with
 * per address family, each value with where it came from.
 *
 * <p>Stable public shape (other packages build on it): the record components and nested types below
 * are only ever added to, never renamed or removed.
 *
 * @param service master.cf service name, what Postfix passes to a milter as {@code {rcpt_mailer}}
 * @param command the service's program: smtp, lmtp, local, virtual, pipe, error, ...; empty when
 *     the service is not in master.cf
 * @param selection why Postfix uses this route
 * @param nexthop where the service delivers
 * @param reach whose identity receivers see
 * @param identities for {@link Reach#DIRECT} only: one entry per address family the service uses
 * @param addressPreference {@code smtp_address_preference} of the service (any, ipv4, ipv6)
 * @param problems what could not be modelled, each naming the parameter; non-empty makes
 *     {@link Reach#UNKNOWN} likely
 */
public record Route(
    String service,
    String command,
    Selection selection,
    Nexthop nexthop,
    Reach reach,
    List<SourceIdentity> identities,
    String addressPreference,
    List<String> problems) {

  public Route {
    identities = List.copyOf(identities);
    problems = List.copyOf(problems);
  }

  /** Whose identity the receiving hosts see on this route. */
  public enum Reach {
    /** Receivers see this host's source address and EHLO name: judged. */
    DIRECT,
    /** A relay host delivers onwards: receivers see the relay's identity, never judged on ours. */
    RELAYED,
    /** Delivered on this host (local, virtual, LMTP, pipe, discard, error): no outbound identity. */
    LOCAL,
    /** ptrguard could not model the route (see problems): on-dns-error's rule applies. */
    UNKNOWN;

    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public enum Family {
    IPV4, IPV6;

    public static Family of(InetAddress a) {
      return a instanceof Inet6Address ? IPV6 : IPV4;
    }

    public String word() {
      return this == IPV4 ? "ipv4" : "ipv6";
    }
  }

  /**
   * Why Postfix picks a route. {@code table} and {@code key} are set for a table entry.
   *
   * @param parameter the main.cf parameter that decides (e.g. {@code transport_maps})
   * @param detail what the parameter says, e.g. the domains of the class
   */
  public record Selection(Kind kind, String parameter, Optional<String> table, Optional<String> key, String detail) {
    public enum Kind {
      DEFAULT_TRANSPORT, SENDER_DEPENDENT_DEFAULT_TRANSPORT, SENDER_DEPENDENT_RELAYHOST, RELAY_TRANSPORT,
      TRANSPORT_MAP, LOCAL_TRANSPORT, VIRTUAL_TRANSPORT, MASTER_CF_SERVICE, RESOLVED_BY_POSTFIX;

      public String word() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
      }
    }

    public static Selection of(Kind kind, String parameter, String detail) {
      return new Selection(kind, parameter, Optional.empty(), Optional.empty(), detail);
    }

    public static Selection entry(Kind kind, String parameter, String table, String key, String detail) {
      return new Selection(kind, parameter, Optional.of(table), Optional.of(key), detail);
    }

    /** One line: "transport_maps hash:/etc/postfix/transport example.com" or "default_transport". */
    public String describe() {
      StringBuilder s = new StringBuilder(parameter);
      // an inline table can be long: its key says which entry matched
      table.ifPresent(t -> s.append(' ').append(LookupTable.shortLabel(t)));
      key.ifPresent(k -> s.append(" key ").append(k));
      if (!detail.isEmpty()) {
        s.append(" (").append(detail).append(')');
      }
      return s.toString();
    }
  }

  /**
   * @param text the nexthop as Postfix writes it ({@code [relay.example.net]:587}); for MX
   *     delivery the word "recipient domain" or the domain itself
   */
  public record Nexthop(Kind kind, String text) {
    public enum Kind {
      /** MX lookup of the recipient's domain. */
      MX,
      /** relayhost or sender_dependent_relayhost_maps. */
      RELAYHOST,
      /** A nexthop named by default_transport, relay_transport or a transport table. */
      TRANSPORT_NEXTHOP,
      LMTP,
      LOCAL,
      UNKNOWN;

      public String word() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
      }
    }

    /** {@code [host]} or {@code [host]:port}: no MX lookup. */
    public boolean bracketed() {
      return text.startsWith("[");
    }
  }

  /**
   * The identity of a direct route in one address family.
   *
   * @param address the source address receivers see; empty when it cannot be found (then
   *     {@code addressSource} says why)
   * @param addressSource service -o, main.cf, kernel route, or ptrguard.conf override
   * @param ehlo the EHLO name the service announces
   * @param overriddenBy the ptrguard.conf identity that overrides discovered values, if any
   */
  public record SourceIdentity(Family family, Optional<InetAddress> address, String addressSource,
      String ehlo, String ehloSource, Optional<String> overriddenBy) {}

  /** The family {@code smtp_address_preference} names (ipv4, ipv6); empty for "any" or anything else. */
  public static Optional<Family> preferredFamily(String addressPreference) {
    return switch (addressPreference.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "ipv4" -> Optional.of(Family.IPV4);
      case "ipv6" -> Optional.of(Family.IPV6);
      default -> Optional.empty();
    };
  }

  /**
   * Why a broken identity in the family a service does not prefer holds mail only sometimes: for the
   * guard's log and for {@code routes}/{@code check}.
   */
  public static String fallbackNote(String service, Family preferred) {
    String p = preferred.word().replace("ipv", "IPv");
    String o = (preferred == Family.IPV4 ? Family.IPV6 : Family.IPV4).word().replace("ipv", "IPv");
    return "smtp_address_preference = " + preferred.word() + " on " + service + " and its " + p + " identity is "
        + "healthy: Postfix uses the broken " + o + " identity only when " + p + " delivery to a mail exchanger "
        + "fails, or for a domain whose mail exchangers have no " + p + "; the guard holds recipients for it only "
        + "then. Fix the " + o + " identity anyway, or set inet_protocols of " + service + " to "
        + preferred.word() + " so that it is never used";
  }

  /** Short label for logs and reports: "smtp-b -> [relay.example.net]:587". */
  public String label() {
    return service + " -> " + nexthop.text();
  }

  /** The identity of one family, if this route sends over it. */
  public Optional<SourceIdentity> identity(Family family) {
    return identities.stream().filter(i -> i.family() == family).findFirst();
  }
}
