package org.ptrguard.monitor;

import java.util.Optional;
import org.ptrguard.identity.Identity;

/**
 * One master.cf service as the SMTP path needs it: how it delivers and, for SMTP, the identity it
 * sends with per address family (absent when the service does not use that family).
 *
 * @param service the master.cf service name, as Postfix passes it in {@code {rcpt_mailer}}
 * @param ipv4Source where the IPv4 source address came from (service -o, main.cf, kernel route)
 * @param ipv6Source the same for IPv6
 */
public record ServiceRoute(String service, Delivery delivery, Optional<Identity> ipv4, Optional<Identity> ipv6,
    String ipv4Source, String ipv6Source) {

  /** How a service delivers, as far as outbound identity goes. */
  public enum Delivery {
    /** smtp(8) client: receivers see this service's address and EHLO name. */
    SMTP,
    /** Delivered on this host or to a local store (local, virtual, lmtp, pipe, ...): no outbound identity. */
    LOCAL,
    /** Postfix does not deliver at all (error, discard, retry): nothing leaves. */
    NONE
  }

  public static ServiceRoute smtp(String service, Optional<Identity> ipv4, Optional<Identity> ipv6) {
    return new ServiceRoute(service, Delivery.SMTP, ipv4, ipv6, "-", "-");
  }

  public static ServiceRoute local(String service) {
    return new ServiceRoute(service, Delivery.LOCAL, Optional.empty(), Optional.empty(), "-", "-");
  }
}
