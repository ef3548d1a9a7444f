package org.ptrguard.identity;

import java.net.Inet6Address;
import java.util.EnumSet;
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
 * @param temporary the lookups that failed temporarily (a receiver's own lookups of them fail too)
 */
public record ReceiverFacts(boolean ipv6, String ip, Set<String> codes, Optional<String> verifiedPtr, String helo,
    Set<Lookup> temporary) {
  /** Findings after which a receiver has no confirmed name for the client. */
  private static final List<String> UNCONFIRMED = List.of("ptr.missing", "fcrdns.mismatch", "fcrdns.no-address",
      "ptr.not-public");

  public ReceiverFacts {
    codes = Set.copyOf(codes);
    temporary = Set.copyOf(temporary);
  }

  /** Facts that do not say which lookup failed: a dns.temporary code stands for every lookup. */
  public ReceiverFacts(boolean ipv6, String ip, Set<String> codes, Optional<String> verifiedPtr, String helo) {
    this(ipv6, ip, codes, verifiedPtr, helo, codes.contains("dns.temporary") ? EnumSet.allOf(Lookup.class) : Set.of());
  }

  public static ReceiverFacts of(IdentityReport report) {
    Set<String> codes = new HashSet<>(report.codes());
    // a failed EHLO lookup leaves the client's name as confirmed as it was; a failed PTR or forward lookup does not
    boolean confirmed = !report.ptrNames().isEmpty() && UNCONFIRMED.stream().noneMatch(codes::contains)
        && !report.temporaryLookups().contains(Lookup.PTR) && !report.temporaryLookups().contains(Lookup.PTR_FORWARD);
    return new ReceiverFacts(IpLiterals.unmapped(report.identity().ip()) instanceof Inet6Address,
        Addresses.text(report.identity().ip()), codes,
        confirmed ? Optional.of(report.ptrNames().get(0)) : Optional.empty(),
        report.identity().ehlo() == null ? "" : report.identity().ehlo().trim(), report.temporaryLookups());
  }

  public String family() {
    return ipv6 ? "ipv6" : "ipv4";
  }
}
