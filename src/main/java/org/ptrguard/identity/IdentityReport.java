package org.ptrguard.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a strict receiver would see for one identity.
 *
 * @param ptrNames the PTR names of the address (normalized, may be empty)
 * @param findings worst first; empty on pass
 * @param minTtl the smallest TTL among the records the verdict rests on: the report is good until then
 * @param temporaryLookups the lookups that failed temporarily (behind each dns.temporary finding)
 */
public record IdentityReport(Identity identity, List<String> ptrNames, Verdict verdict, List<Finding> findings,
    Optional<ReverseZoneAuthority> reverseZone, Duration minTtl, Instant checkedAt, Set<Lookup> temporaryLookups) {
  public IdentityReport {
    ptrNames = List.copyOf(ptrNames);
    findings = List.copyOf(findings);
    temporaryLookups = Set.copyOf(temporaryLookups);
  }

  /** A report that does not say which lookup failed: a dns.temporary finding then stands for every lookup. */
  public IdentityReport(Identity identity, List<String> ptrNames, Verdict verdict, List<Finding> findings,
      Optional<ReverseZoneAuthority> reverseZone, Duration minTtl, Instant checkedAt) {
    this(identity, ptrNames, verdict, findings, reverseZone, minTtl, checkedAt,
        findings.stream().anyMatch(f -> f.code().equals("dns.temporary")) ? EnumSet.allOf(Lookup.class) : Set.of());
  }

  public List<String> codes() {
    return findings.stream().map(Finding::code).toList();
  }

  /**
   * True when a DNS change is still propagating ({@code dns.propagating}): {@link #minTtl} is then
   * what the resolver has left of its old copy, and a check after that sees the new answer.
   */
  public boolean propagating() {
    return codes().contains(PropagationJudge.CODE);
  }
}
