package org.ptrguard.identity;

import java.time.Instant;
import java.util.Optional;

/**
 * All judges of one identity, in the order their findings are listed (worst first, then this
 * order): PTR and forward confirmation, EHLO, resolver views, egress (NAT). From what the lookups saw to the
 * report, without DNS: a new check is one more judge here.
 */
final class IdentityJudges {
  private final PtrJudge ptr;

  IdentityJudges(GenericNameClassifier generic) {
    this.ptr = new PtrJudge(generic);
  }

  IdentityReport judge(CheckSubject subject, Observations seen, Instant started) {
    Judgement out = new Judgement(subject);
    Optional<String> heloCandidate = ptr.judge(subject, seen, out);
    EhloJudge.judge(subject, seen, heloCandidate, out);
    ResolverViewsJudge.judge(subject, seen, out);
    EgressJudge.judge(subject, seen, out);
    return out.report(seen.ptrNames(), seen.authority(), started);
  }
}
