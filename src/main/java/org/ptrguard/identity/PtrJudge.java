package org.ptrguard.identity;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.net.Addresses;
import org.xbill.DNS.Type;

/**
 * The PTR judgement: present, single, forward-confirmed (RFC 8601 iprev: some PTR name resolves
 * back to the address) and not a provider default. Pure: it reads what the lookups saw.
 */
final class PtrJudge {
  private final GenericNameClassifier generic;

  PtrJudge(GenericNameClassifier generic) {
    this.generic = generic;
  }

  /**
   * @return a PTR name fit to announce as EHLO (it resolves back to the address and is not generic);
   *     the EHLO fixes only recommend the PTR name when there is one
   */
  Optional<String> judge(CheckSubject s, Observations seen, Judgement out) {
    DnsOutcome ptr = seen.ptr();
    String ip = Addresses.text(s.ip());
    String who = "the operator of the reverse zone " + seen.authority().map(ReverseZoneAuthority::describe).orElse("of " + ip);
    if (ptr.isTemporary()) {
      out.temporary(Lookup.PTR, "PTR of " + ip, s.reverse() + " PTR: " + DnsEvidence.describe(ptr), ptr);
      return Optional.empty();
    }
    if (!(ptr instanceof DnsOutcome.Answer answer)) {
      out.noteNegative(ptr);
      out.add(new Finding("ptr.missing", Verdict.FAIL, "no PTR record for " + ip,
          List.of(s.reverse() + " PTR: " + DnsEvidence.describe(ptr)), Fixes.ptrMissing(s.reverse(), s.ip(), s.suggestedName(), who)));
      return Optional.empty();
    }
    out.note(answer);
    List<String> names = seen.ptrNames();
    List<String> evidence = new ArrayList<>(DnsEvidence.records(answer));
    evidence.addAll(answer.aliases().stream().map(a -> "alias: " + a).toList());
    if (names.size() > 1) {
      out.add(new Finding("ptr.multiple", Verdict.WARN, ip + " has " + names.size()
          + " PTR records; receivers may use any of them", evidence, Fixes.ptrMultiple(s.reverse(), names, s.suggestedName(), who)));
    }
    notPublic(s, names, evidence, who, out);
    List<String> confirming = confirm(s, seen.forward(), evidence, who, names.get(0), out);
    String judged = confirming.isEmpty() ? names.get(0) : confirming.get(0);
    GenericNameClassifier.GenericVerdict g = generic.classify(judged, s.ip());
    if (g.generic() && s.identity().genericPtr() != Identity.GenericPtr.OFF) {
      out.add(new Finding("ptr.generic", s.identity().genericPtr() == Identity.GenericPtr.FAIL ? Verdict.FAIL : Verdict.WARN,
          "PTR name " + judged + " looks provider-assigned", List.of(g.reason()), Fixes.ptrGeneric(s.reverse(), s.ip(), s.suggestedName(), who)));
    }
    return confirming.stream().filter(n -> !generic.classify(n, s.ip()).generic()).findFirst();
  }

  /**
   * PTR names under a suffix receivers cannot resolve (.lan, .internal, an in-addr.arpa name, ...):
   * a FAIL of its own, because no receiver can ever forward-confirm them, even when the resolver
   * ptrguard asks (a local one, a split-horizon view) answers for them.
   */
  private static void notPublic(CheckSubject s, List<String> names, List<String> ptrEvidence, String who, Judgement out) {
    List<String> why = new ArrayList<>();
    for (String name : names) {
      HostNames.notPublic(name).ifPresent(reason -> why.add(name + ": " + reason));
    }
    if (why.isEmpty()) {
      return;
    }
    List<String> evidence = new ArrayList<>(ptrEvidence);
    evidence.addAll(why);
    String name = why.get(0).substring(0, why.get(0).indexOf(':'));
    out.add(new Finding("ptr.not-public", Verdict.FAIL, "PTR name " + name + " is not a public DNS name; receivers"
        + " cannot resolve it, so they never forward-confirm it", evidence,
        Fixes.ptrNotPublic(s.reverse(), s.ip(), name, s.suggestedName(), who, s.resolver())));
  }

  /** Forward confirmation: the PTR names that resolve back to the address (a finding when none does). */
  private static List<String> confirm(CheckSubject s, List<NameAnswer> forward, List<String> ptrEvidence, String who,
      String first, Judgement out) {
    List<String> confirming = new ArrayList<>();
    List<String> forwardEvidence = new ArrayList<>();
    boolean temporary = false;
    boolean anyAddress = false;
    for (NameAnswer fa : forward) {
      forwardEvidence.add(fa.name() + ". " + Type.string(s.addressType()) + ": " + DnsEvidence.describe(fa.outcome()));
      if (fa.outcome() instanceof DnsOutcome.Answer a) {
        out.note(a);
        anyAddress = true;
        if (DnsEvidence.addresses(a).contains(s.ip())) {
          confirming.add(fa.name());
        }
      } else if (fa.outcome().isTemporary()) {
        temporary = true;
      } else {
        out.noteNegative(fa.outcome());
      }
    }
    if (!confirming.isEmpty()) {
      return confirming;
    }
    List<String> evidence = new ArrayList<>(ptrEvidence);
    evidence.addAll(forwardEvidence);
    if (temporary) {
      out.temporary(Lookup.PTR_FORWARD, "forward lookup of the PTR name", String.join("; ", forwardEvidence), null);
    } else if (!anyAddress) {
      out.add(new Finding("fcrdns.no-address", Verdict.FAIL, "PTR name " + first + " has no "
          + Type.string(s.addressType()) + " record, so the PTR is not forward-confirmed",
          evidence, Fixes.fcrdnsNoAddress(first, s.ip(), s.reverse(), who)));
    } else {
      out.add(new Finding("fcrdns.mismatch", Verdict.FAIL, "PTR name " + first + " does not resolve back to "
          + Addresses.text(s.ip()), evidence, Fixes.fcrdnsMismatch(first, s.ip(), s.reverse(), who)));
    }
    return confirming;
  }
}
