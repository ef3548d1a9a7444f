package org.ptrguard.postfix;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * A hand-written identity from ptrguard.conf laid over discovered routes: the public address behind
 * NAT, or a name discovery cannot see. It applies to the routes of {@code services}; else to the
 * services that {@code sender_dependent_default_transport_maps} picks for {@code senders}; else (no
 * services, no senders) to the default_transport and relay_transport services.
 *
 * @param addresses replace the discovered source address of their family (at most one per family is used)
 * @param ehlo replaces the discovered EHLO name when present
 */
public record IdentityOverride(String name, List<InetAddress> addresses, Optional<String> ehlo,
    List<String> senders, List<String> services) {
  public IdentityOverride {
    addresses = List.copyOf(addresses);
    senders = List.copyOf(senders);
    services = List.copyOf(services);
  }

  /** An entry that changes nothing (address and EHLO both "auto") is no override. */
  public boolean changesAnything() {
    return !addresses.isEmpty() || ehlo.isPresent();
  }

  public boolean isDefault() {
    return senders.isEmpty() && services.isEmpty();
  }
}
