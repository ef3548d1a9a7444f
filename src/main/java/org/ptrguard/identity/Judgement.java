package org.ptrguard.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.ptrguard.dns.DnsOutcome;

/**
 * The findings of one check as the judges add them, and how long the records they rest on stay
 * valid: the report is good until the smallest TTL among them (negative answers included).
 */
final class Judgement {
  private static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  private final CheckSubject subject;
  private final List<Finding> findings = new ArrayList<>();
  private final EnumSet<Lookup> temporaryLookups = EnumSet.noneOf(Lookup.class);
  private long minTtl = Long.MAX_VALUE;

  Judgement(CheckSubject subject) {
    this.subject = subject;
  }

  void add(Finding finding) {
    findings.add(finding);
  }

  /** A question DNS could not answer now: nothing is proven, the verdict is UNKNOWN until a retry. */
  void temporary(Lookup lookup, String what, String evidence, DnsOutcome outcome) {
    temporaryLookups.add(lookup);
    findings.add(new Finding("dns.temporary", Verdict.UNKNOWN, "could not look up the " + what + " (temporary DNS failure)",
        List.of(evidence), Fixes.temporary(outcome == null ? subject.resolver() : outcome.resolver(), subject.ip())));
  }

  /** The verdict rests on this answer: it is valid no longer than its records. */
  void note(DnsOutcome.Answer a) {
    minTtl = Math.min(minTtl, a.minTtl());
  }

  /** The verdict rests on this negative answer: valid no longer than its negative-caching TTL, when it has one. */
  void noteNegative(DnsOutcome o) {
    long ttl = DnsEvidence.negativeTtl(o);
    if (ttl > 0) {
      minTtl = Math.min(minTtl, ttl);
    }
  }

  IdentityReport report(List<String> ptrNames, Optional<ReverseZoneAuthority> authority, Instant started) {
    List<Finding> sorted = new ArrayList<>(findings);
    sorted.sort(Comparator.comparing(Finding::severity, Verdict.SEVERITY.reversed()));
    // A proven failure stays a failure (FAIL outranks UNKNOWN): no answer to the other question could make it pass.
    Verdict verdict = Verdict.worst(sorted.stream().map(Finding::severity).toList());
    boolean temporary = sorted.stream().anyMatch(f -> f.severity() == Verdict.UNKNOWN);
    Duration ttl = temporary || minTtl == Long.MAX_VALUE ? (temporary ? Duration.ZERO : DEFAULT_TTL) : Duration.ofSeconds(minTtl);
    return new IdentityReport(subject.identity(), ptrNames, verdict, sorted, authority, ttl, started, temporaryLookups);
  }
}
