package org.ptrguard.identity;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.ptrguard.dns.DnsOutcome;

/**
 * What the zones' own name servers answer (dns.authoritative), next to the configured resolver's
 * possibly cached answers. Only questions the resolver did not already answer authoritatively (AA
 * bit) are asked again.
 *
 * @param ptr the reverse zone's server's PTR answer; empty when it was not asked
 * @param forward the forward zones' servers' address answers for the first PTR names of the view
 * @param resolverForward the resolver's address answers for every PTR name of the view (the names
 *     of the authoritative PTR answer may not be the ones the resolver's cached PTR gave)
 * @param problems lame or unreachable servers, huge NS sets, the deadline: one line each
 */
record AuthoritativeView(Optional<ZoneAnswer> ptr, List<ZoneAnswer> forward, List<NameAnswer> resolverForward,
    List<String> problems) {
  AuthoritativeView {
    forward = List.copyOf(forward);
    resolverForward = List.copyOf(resolverForward);
    problems = List.copyOf(problems);
  }

  /**
   * One authoritative answer.
   *
   * @param zone the zone whose server answered
   * @param negativeCaching how long resolvers keep a negative answer of that zone (RFC 2308, from its SOA)
   */
  record ZoneAnswer(String name, DnsOutcome outcome, String zone, long negativeCaching) {}

  /** Nothing could be asked (the deadline passed, or no zone was found): only why. */
  static AuthoritativeView unavailable(String why) {
    return new AuthoritativeView(Optional.empty(), List.of(), List.of(), List.of(why));
  }

  /** The authoritative PTR answer when it says something about the zone (not a failure). */
  Optional<DnsOutcome> definitivePtr() {
    return ptr.map(ZoneAnswer::outcome).filter(o -> !o.isTemporary());
  }

  /**
   * The observations the verdict is judged on: the authoritative answers where they exist (what
   * receivers get once their caches expire: the state after a fix, and never a pass from a stale
   * cache after a breakage), the resolver's answers for the rest.
   */
  Observations judged(Observations seen) {
    Optional<DnsOutcome> ptrNow = definitivePtr();
    if (ptrNow.isEmpty() && forward.isEmpty()) {
      return seen;
    }
    DnsOutcome judgedPtr = ptrNow.orElse(seen.ptr());
    List<NameAnswer> judgedForward = new ArrayList<>();
    for (String name : DnsEvidence.ptrNames(judgedPtr)) {
      authoritativeForward(name).or(() -> resolverForward(name, seen)).ifPresent(judgedForward::add);
    }
    return new Observations(judgedPtr, judgedForward, seen.authority(), seen.ehloProblem(), seen.ehloAddresses(),
        seen.otherViews(), seen.egress(), Optional.of(this));
  }

  Optional<NameAnswer> authoritativeForward(String name) {
    return forward.stream().filter(f -> f.name().equals(name) && !f.outcome().isTemporary()).findFirst()
        .map(f -> new NameAnswer(name, f.outcome()));
  }

  /** The resolver's address answer for {@code name}, from this view's lookups or the check's own. */
  Optional<NameAnswer> resolverForward(String name, Observations seen) {
    return resolverForward.stream().filter(f -> f.name().equals(name)).findFirst()
        .or(() -> seen.forward().stream().filter(f -> f.name().equals(name)).findFirst());
  }
}
