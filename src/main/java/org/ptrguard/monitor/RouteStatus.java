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
 */
public record RouteStatus(String route, String nexthop, Reach reach, Optional<IdentityStatus> ipv4,
    Optional<IdentityStatus> ipv6, String note) {}
