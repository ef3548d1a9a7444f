package org.ptrguard.monitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.ptrguard.identity.Addresses;
import org.ptrguard.identity.Identity;
import org.ptrguard.monitor.RouteStatus.Reach;
import org.ptrguard.policy.IdentityStatus;

/**
 * The routes and their verdicts at one moment: immutable, replaced whole when a verdict or the
 * route model changes, so a session reads one consistent picture without locks. {@link #resolve}
 * maps what Postfix told the milter at RCPT ({@code {rcpt_mailer}}, {@code {rcpt_host}}) onto a
 * route; it only reads maps, so it is cheap enough for every recipient.
 */
public final class RouteSnapshot {
  /** No route model: the guard decides per session from the configured identities, as before. */
  public static final RouteSnapshot INACTIVE = new RouteSnapshot(false, Map.of(), List.of());

  private record Entry(ServiceRoute service, Optional<IdentityStatus> ipv4, Optional<IdentityStatus> ipv6) {}

  private final boolean active;
  private final Map<String, Entry> services;
  private final List<IdentityStatus> directStatuses;

  private RouteSnapshot(boolean active, Map<String, Entry> services, List<IdentityStatus> directStatuses) {
    this.active = active;
    this.services = services;
    this.directStatuses = directStatuses;
  }

  /**
   * @param statuses the cached status of an identity; empty while its first check runs
   */
  public static RouteSnapshot of(List<ServiceRoute> routes, Function<Identity, Optional<IdentityStatus>> statuses) {
    Map<String, Entry> map = new HashMap<>();
    List<IdentityStatus> direct = new ArrayList<>();
    for (ServiceRoute r : routes) {
      Optional<IdentityStatus> v4 = r.ipv4().map(id -> statusOf(r.service(), id, statuses));
      Optional<IdentityStatus> v6 = r.ipv6().map(id -> statusOf(r.service(), id, statuses));
      if (r.delivery() == ServiceRoute.Delivery.SMTP) {
        v4.ifPresent(direct::add);
        v6.ifPresent(direct::add);
      }
      map.put(r.service(), new Entry(r, v4, v6));
    }
    return new RouteSnapshot(true, Map.copyOf(map), List.copyOf(direct));
  }

  /**
   * The identity's verdict, named after the route, its reason prefixed with it: the default reply
   * ("... not ready: {reason}") then names the route and its first finding.
   */
  private static IdentityStatus statusOf(String service, Identity id,
      Function<Identity, Optional<IdentityStatus>> statuses) {
    return statuses.apply(id)
        .map(s -> new IdentityStatus(service, s.ip(), s.ptr(), s.ehlo(), s.verdict(), s.codes(),
            s.reason().isEmpty() ? "" : "route " + service + ": " + s.reason(), s.stale()))
        .orElseGet(() -> IdentityStatus.unknown(service, Addresses.text(id.ip()), id.ehlo(),
            "route " + service + ": the first check of its identity has not finished"));
  }

  public boolean active() {
    return active;
  }

  /** Every identity status of every SMTP service (both families), to tell whether any route is broken. */
  public List<IdentityStatus> directStatuses() {
    return directStatuses;
  }

  public List<String> services() {
    return services.keySet().stream().sorted().toList();
  }

  /**
   * The route of one recipient.
   *
   * @param mailer {@code {rcpt_mailer}}: the transport (master.cf service) Postfix resolved
   * @param nexthop {@code {rcpt_host}}: its nexthop; for delivery to the recipient domain's own
   *     mail exchangers this is the domain itself, anything else is a relay
   * @param recipientDomain the recipient address's domain (lower case, no trailing dot)
   */
  public RouteStatus resolve(Optional<String> mailer, Optional<String> nexthop, String recipientDomain) {
    String hop = nexthop.filter(h -> !h.isBlank()).orElse("-");
    if (mailer.isEmpty() || mailer.get().isBlank()) {
      return unknown("-", hop, "Postfix passed no {rcpt_mailer} macro (milter_rcpt_macros must include it)");
    }
    String service = mailer.get();
    Entry e = services.get(service);
    if (e == null) {
      return unknown(service, hop, "transport " + service + " is not a master.cf service ptrguard knows");
    }
    return switch (e.service().delivery()) {
      case NONE -> new RouteStatus(service, hop, Reach.LOCAL, Optional.empty(), Optional.empty(), "not delivered");
      case LOCAL -> new RouteStatus(service, hop, Reach.LOCAL, Optional.empty(), Optional.empty(),
          "delivered on this host or to a local store");
      case SMTP -> isDirect(hop, recipientDomain)
          ? new RouteStatus(service, hop, Reach.DIRECT, e.ipv4(), e.ipv6(), "")
          : new RouteStatus(service, hop, Reach.RELAYED, Optional.empty(), Optional.empty(),
              "receivers see the relay's identity");
    };
  }

  private static RouteStatus unknown(String route, String hop, String why) {
    return new RouteStatus(route, hop, Reach.UNKNOWN, Optional.empty(), Optional.empty(), why);
  }

  /**
   * A nexthop in brackets is a host (no MX lookup), so a relay; an unbracketed one is looked up as a
   * domain's MX, which is direct delivery exactly when it is the recipient's own domain. A missing
   * nexthop means Postfix's default, the recipient domain.
   */
  static boolean isDirect(String nexthop, String recipientDomain) {
    if (nexthop.equals("-")) {
      return true;
    }
    String hop = nexthop.strip().toLowerCase(Locale.ROOT);
    if (hop.startsWith("[")) {
      return false;
    }
    int colon = hop.lastIndexOf(':');
    if (colon > 0 && hop.indexOf(':') == colon && hop.substring(colon + 1).chars().allMatch(Character::isDigit)) {
      hop = hop.substring(0, colon);
    }
    while (hop.endsWith(".")) {
      hop = hop.substring(0, hop.length() - 1);
    }
    return hop.equals(recipientDomain);
  }
}
