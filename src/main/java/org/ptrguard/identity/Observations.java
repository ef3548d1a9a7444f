package org.ptrguard.identity;

import java.util.List;
import java.util.Optional;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.dns.EgressProbe;

/**
 * Everything the lookups of one check saw: the input of the judges, which do no DNS themselves.
 *
 * @param ptr the main view's PTR answer
 * @param forward the main view's address lookups of the PTR names (at most a few, sorted by name)
 * @param authority the reverse zone holding the PTR owner, when it could be found
 * @param ehloProblem why the EHLO name is no usable FQDN; when present, its addresses were not looked up
 * @param ehloAddresses the A and AAAA answers for the EHLO name, in that order (empty with an ehloProblem)
 * @param otherViews the other resolver views (dns.compare-with), each reduced to what a verdict depends on
 * @param egress what the "what is my address" server saw, when egress discovery is on
 * @param authoritative what the zones' own servers answer, when dns.authoritative asked them
 */
record Observations(DnsOutcome ptr, List<NameAnswer> forward, Optional<ReverseZoneAuthority> authority,
    Optional<String> ehloProblem, List<DnsOutcome> ehloAddresses, List<ViewSummary> otherViews,
    Optional<EgressProbe.Result> egress, Optional<AuthoritativeView> authoritative) {
  Observations {
    forward = List.copyOf(forward);
    ehloAddresses = List.copyOf(ehloAddresses);
    otherViews = List.copyOf(otherViews);
  }

  /** Without the authoritative view. */
  Observations(DnsOutcome ptr, List<NameAnswer> forward, Optional<ReverseZoneAuthority> authority,
      Optional<String> ehloProblem, List<DnsOutcome> ehloAddresses, List<ViewSummary> otherViews,
      Optional<EgressProbe.Result> egress) {
    this(ptr, forward, authority, ehloProblem, ehloAddresses, otherViews, egress, Optional.empty());
  }

  /** Without egress discovery. */
  Observations(DnsOutcome ptr, List<NameAnswer> forward, Optional<ReverseZoneAuthority> authority,
      Optional<String> ehloProblem, List<DnsOutcome> ehloAddresses, List<ViewSummary> otherViews) {
    this(ptr, forward, authority, ehloProblem, ehloAddresses, otherViews, Optional.empty());
  }

  List<String> ptrNames() {
    return DnsEvidence.ptrNames(ptr);
  }
}
