package org.ptrguard.identity;

import java.net.Inet6Address;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;

/**
 * What a receiver sees of one identity, as the receiver rules' conditions ask for it.
 *
 * @param verifiedPtr the name a receiving MTA records for the client (Postfix's client_name): the
 *     PTR name when it is forward-confirmed and every lookup answered; empty means "unknown"
 * @param helo the EHLO name as announced (not normalized: receivers judge it as sent)
 */
public record ReceiverFacts(boolean ipv6, String ip, Set<String> codes, Optional<String> verifiedPtr, String helo) {
  /** Findings after which a receiver has no confirmed name for the client. */
  private static final List<String> UNCONFIRMED = List.of("ptr.missing", "fcrdns.mismatch", "fcrdns.no-address",
      "ptr.not-public", "dns.temporary");

  public ReceiverFacts {
    codes = Set.copyOf(codes);
  }

  public static ReceiverFacts of(IdentityReport report) {
    Set<String> codes = new HashSet<>(report.codes());
    boolean confirmed = !report.ptrNames().isEmpty() && UNCONFIRMED.stream().noneMatch(codes::contains);
    return new ReceiverFacts(IpLiterals.unmapped(report.identity().ip()) instanceof Inet6Address,
        Addresses.text(report.identity().ip()), codes,
        confirmed ? Optional.of(report.ptrNames().get(0)) : Optional.empty(),
        report.identity().ehlo() == null ? "" : report.identity().ehlo().trim());
  }

  public String family() {
    return ipv6 ? "ipv6" : "ipv4";
  }
}
