package org.ptrguard.identity;

import java.util.ArrayList;
import java.util.List;
import org.ptrguard.net.Addresses;

/**
 * Whether the other resolver views (dns.compare-with) see the same PTR and forward confirmation as
 * the main one: receivers ask public DNS, so a split horizon or a change still propagating means
 * they may judge differently from what ptrguard judged. Pure: it reads what the lookups saw.
 */
final class ResolverViewsJudge {
  private ResolverViewsJudge() {}

  static void judge(CheckSubject s, Observations seen, Judgement out) {
    if (seen.otherViews().isEmpty() || seen.ptr().isTemporary()) {
      return;
    }
    ViewSummary mine = ViewSummary.of(s.resolver(), seen.ptr(), seen.forward(), s.ip());
    List<String> evidence = new ArrayList<>();
    for (ViewSummary other : seen.otherViews()) {
      if (other.temporary()) {
        continue; // a view that cannot answer has no opinion to disagree with
      }
      if (!other.sameAnswer(mine)) {
        evidence.add(mine.describe());
        evidence.add(other.describe());
      }
    }
    if (!evidence.isEmpty()) {
      out.add(new Finding("resolvers.disagree", Verdict.WARN, "resolvers give different answers for "
          + Addresses.text(s.ip()) + " (split-horizon DNS or a change still propagating)", evidence.stream().distinct().toList(),
          Fixes.resolversDisagree(mine.resolver())));
    }
  }
}
