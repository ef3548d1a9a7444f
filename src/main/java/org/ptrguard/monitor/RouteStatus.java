package org.ptrguard.monitor;

import java.util.Optional;
import org.ptrguard.postfix.Route.Reach;

/**
 * The route Postfix resolved for one recipient, with the cached verdict of the identity it sends
 * with. Built from memory only: the SMTP path never waits for it.
 *
 * @param route the master.cf service ({@code {rcpt_mailer}}), or "-" when Postfix named none
 * @param nexthop Postfix's nexthop ({@code {rcpt_host}}), "-" when none
 * @param reach whether receivers see our identity on this route
 * @param ipv4 for DIRECT routes: the IPv4 identity's status, when the service sends over IPv4
 * @param ipv6 the same for IPv6
 * @param note why the route is UNKNOWN (for the log line and the reply), or what RELAYED/LOCAL means
 * @param addressPreference the service's {@code smtp_address_preference} (any, ipv4, ipv6)
 */
public record RouteStatus(String route, String nexthop, Reach reach, Optional<IdentityStatus> ipv4,
    Optional<IdentityStatus> ipv6, String note, String addressPreference) {
  /** A route whose service has no family preference ({@code smtp_address_preference = any}). */
  public RouteStatus(String route, String nexthop, Reach reach, Optional<IdentityStatus> ipv4,
      Optional<IdentityStatus> ipv6, String note) {
    this(route, nexthop, reach, ipv4, ipv6, note, "any");
  }
}
