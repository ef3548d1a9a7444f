package org.ptrguard.identity;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.net.Addresses;

/**
 * The EHLO judgement: a public FQDN that resolves to the source address and matches the PTR name.
 * Pure: it reads what the lookups saw.
 */
final class EhloJudge {
  private static final String[] TYPES = {"A", "AAAA"};

  private EhloJudge() {}

  /** @param heloCandidate the PTR name fit to announce instead, from the PTR judgement */
  static void judge(CheckSubject s, Observations seen, Optional<String> heloCandidate, Judgement out) {
    Optional<String> problem = seen.ehloProblem();
    if (problem.isPresent()) {
      out.add(new Finding("ehlo.invalid", Verdict.FAIL, "EHLO name is not usable: " + problem.get(),
          List.of("smtp_helo_name (or its default, myhostname) = " + s.identity().ehlo()),
          Fixes.ehloInvalid(heloCandidate, s.ip())));
      return;
    }
    String ehlo = s.ehlo();
    Set<InetAddress> found = new LinkedHashSet<>();
    List<String> evidence = new ArrayList<>();
    boolean temporary = false;
    List<DnsOutcome> outcomes = seen.ehloAddresses();
    for (int i = 0; i < outcomes.size(); i++) {
      DnsOutcome o = outcomes.get(i);
      evidence.add(ehlo + ". " + TYPES[i] + ": " + DnsEvidence.describe(o));
      if (o instanceof DnsOutcome.Answer a) {
        out.note(a);
        found.addAll(DnsEvidence.addresses(a));
      } else if (o.isTemporary()) {
        temporary = true;
      } else {
        out.noteNegative(o);
      }
    }
    if (!found.contains(s.ip())) {
      if (temporary) {
        out.temporary(Lookup.EHLO, "addresses of the EHLO name " + ehlo, String.join("; ", evidence), null);
      } else if (found.isEmpty()) {
        out.add(new Finding("ehlo.no-address", Verdict.FAIL, "EHLO name " + ehlo + " has no A or AAAA record",
            evidence, Fixes.ehloNoAddress(ehlo, s.ip())));
      } else {
        out.add(new Finding("ehlo.address-mismatch", Verdict.WARN, "EHLO name " + ehlo + " does not resolve to "
            + Addresses.text(s.ip()), evidence, Fixes.ehloAddressMismatch(ehlo, s.ip(), heloCandidate)));
      }
    }
    List<String> ptrNames = seen.ptrNames();
    if (!ptrNames.isEmpty() && !ptrNames.contains(ehlo)) {
      out.add(new Finding("ehlo.ptr-mismatch", Verdict.WARN, "EHLO name " + ehlo + " differs from the PTR name "
          + ptrNames.get(0), List.of("EHLO " + ehlo, "PTR " + String.join(", ", ptrNames)),
          Fixes.ehloPtrMismatch(ehlo, heloCandidate, s.reverse())));
    }
  }
}
