package org.ptrguard.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a strict receiver would see for one identity.
 *
 * @param ptrNames the PTR names of the address (normalized, may be empty)
 * @param findings worst first; empty on pass
 * @param minTtl the smallest TTL among the records the verdict rests on: the report is good until then
 */
public record IdentityReport(Identity identity, List<String> ptrNames, Verdict verdict, List<Finding> findings,
    Optional<ReverseZoneAuthority> reverseZone, Duration minTtl, Instant checkedAt) {
  public IdentityReport {
    ptrNames = List.copyOf(ptrNames);
    findings = List.copyOf(findings);
  }

  public List<String> codes() {
    return findings.stream().map(Finding::code).toList();
  }
}
