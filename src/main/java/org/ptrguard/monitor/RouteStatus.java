package org.ptrguard.monitor;

import java.util.Optional;
import org.ptrguard.policy.IdentityStatus;

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
    Optional<IdentityStatus> ipv6, String note) {

  public enum Reach {
    /** Our smtp client talks to the recipient domain's own mail exchangers. */
    DIRECT,
    /** Handed to a relay host: receivers see the relay's identity, not ours. */
    RELAYED,
    /** Delivered on this host or into a local store, or not delivered at all: no outbound identity. */
    LOCAL,
    /** Postfix named a route ptrguard cannot model: on-dns-error's rule applies. */
    UNKNOWN;

    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
