package org.ptrguard.identity;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * When a receiver rule fires: every part that is present must hold (an empty condition always holds).
 * The parts are the keys of a rule's {@code when} block in {@code receivers.conf}.
 */
public record ReceiverCondition(Optional<String> family, List<String> anyFinding, List<String> noFinding,
    Optional<Boolean> verifiedPtr, Optional<Pattern> ptrMatches, Optional<Pattern> ptrNotMatches,
    Optional<Pattern> heloMatches, Optional<Pattern> heloNotMatches, Optional<Boolean> heloIsPtr,
    List<Lookup> temporaryLookup, List<Lookup> noTemporaryLookup) {
  public static final List<String> KEYS = List.of("family", "any-finding", "no-finding", "verified-ptr", "ptr-matches",
      "ptr-not-matches", "helo-matches", "helo-not-matches", "helo-is-ptr", "temporary-lookup", "no-temporary-lookup");

  public ReceiverCondition {
    anyFinding = List.copyOf(anyFinding);
    noFinding = List.copyOf(noFinding);
    temporaryLookup = List.copyOf(temporaryLookup);
    noTemporaryLookup = List.copyOf(noTemporaryLookup);
  }

  public boolean holds(ReceiverFacts f) {
    return family.map(f.family()::equals).orElse(true)
        && (anyFinding.isEmpty() || anyFinding.stream().anyMatch(f.codes()::contains))
        && noFinding.stream().noneMatch(f.codes()::contains)
        && verifiedPtr.map(v -> v == f.verifiedPtr().isPresent()).orElse(true)
        && ptrMatches.map(p -> f.verifiedPtr().map(n -> p.matcher(n).find()).orElse(false)).orElse(true)
        && ptrNotMatches.map(p -> f.verifiedPtr().map(n -> !p.matcher(n).find()).orElse(true)).orElse(true)
        && heloMatches.map(p -> p.matcher(f.helo()).find()).orElse(true)
        && heloNotMatches.map(p -> !p.matcher(f.helo()).find()).orElse(true)
        && (temporaryLookup.isEmpty() || temporaryLookup.stream().anyMatch(f.temporary()::contains))
        && noTemporaryLookup.stream().noneMatch(f.temporary()::contains)
        && heloIsPtr.map(v -> f.verifiedPtr().map(n -> n.equalsIgnoreCase(HostNames.normalize(f.helo())) == v).orElse(false))
            .orElse(true);
  }
}
