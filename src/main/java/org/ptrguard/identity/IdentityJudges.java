package org.ptrguard.identity;

import java.time.Instant;
import java.util.Optional;

/**
 * All judges of one identity, in the order their findings are listed (worst first, then this
 * order): PTR and forward confirmation, EHLO, resolver views, propagation (authoritative view), egress
 * (NAT). From what the lookups saw to the report, without DNS: a new check is one more judge here.
 */
final class IdentityJudges {
  private final PtrJudge ptr;

  IdentityJudges(GenericNameClassifier generic) {
    this.ptr = new PtrJudge(generic);
  }

  IdentityReport judge(CheckSubject subject, Observations seen, Instant started) {
    Judgement out = new Judgement(subject);
    // The verdict rests on the zones' own answers when they were asked (see AuthoritativeView#judged);
    // the resolver views and the propagation judge compare the resolver's answers as they are.
    Observations judged = seen.authoritative().map(v -> v.judged(seen)).orElse(seen);
    Optional<String> heloCandidate = ptr.judge(subject, judged, out);
    EhloJudge.judge(subject, judged, heloCandidate, out);
    ResolverViewsJudge.judge(subject, seen, out);
    PropagationJudge.judge(subject, seen, out);
    EgressJudge.judge(subject, seen, out);
    return out.report(judged.ptrNames(), seen.authority(), started);
  }
}
