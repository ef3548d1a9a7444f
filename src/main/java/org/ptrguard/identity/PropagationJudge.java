package org.ptrguard.identity;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.identity.AuthoritativeView.ZoneAnswer;
import org.ptrguard.net.Addresses;
import org.xbill.DNS.Type;

/**
 * {@code dns.propagating}: the zones' own servers answer differently from what the configured
 * resolver has cached. Receivers' resolvers may hold either answer until their copy expires, so
 * the finding says both, how long the resolver keeps the old one, and, for a cached "no such
 * record", the zone's negative-caching time (receivers that cached it keep rejecting that long).
 * The verdict itself is judged on the authoritative answers ({@link AuthoritativeView#judged}).
 * Pure: it reads what the lookups saw.
 */
final class PropagationJudge {
  /** The code; the Finding below spells it as a literal, which FindingCodesDocTest reads. */
  static final String CODE = "dns.propagating";

  private PropagationJudge() {}

  /** One question whose answers differ. */
  private record Difference(String question, ZoneAnswer authoritative, DnsOutcome cached, String now, String before) {}

  static void judge(CheckSubject s, Observations seen, Judgement out) {
    if (seen.authoritative().isEmpty()) {
      return;
    }
    AuthoritativeView view = seen.authoritative().get();
    List<Difference> differences = new ArrayList<>();
    Optional<ZoneAnswer> ptr = view.ptr().filter(p -> !p.outcome().isTemporary());
    if (ptr.isPresent() && !seen.ptr().isTemporary()) {
      List<String> now = DnsEvidence.ptrNames(ptr.get().outcome());
      List<String> before = DnsEvidence.ptrNames(seen.ptr());
      if (!now.equals(before)) {
        differences.add(new Difference("PTR of " + Addresses.text(s.ip()), ptr.get(), seen.ptr(), ptrText(now),
            ptrText(before)));
      }
    }
    String type = Type.string(s.addressType());
    for (ZoneAnswer f : view.forward()) {
      Optional<NameAnswer> cached = view.resolverForward(f.name(), seen);
      if (f.outcome().isTemporary() || cached.isEmpty() || cached.get().outcome().isTemporary()) {
        continue;
      }
      Set<String> now = addresses(f.outcome());
      Set<String> before = addresses(cached.get().outcome());
      if (!now.equals(before)) {
        differences.add(new Difference(type + " of " + f.name(), f, cached.get().outcome(), addressText(type, now),
            addressText(type, before)));
      }
    }
    if (differences.isEmpty()) {
      return;
    }
    List<String> evidence = new ArrayList<>();
    for (Difference d : differences) {
      // The verdict is good only until the resolver's copy expires: then the check sees the new answer.
      if (d.cached() instanceof DnsOutcome.Answer a) {
        out.note(a);
      } else {
        out.noteNegative(d.cached());
      }
      evidence.add(d.question() + ": authoritative " + DnsEvidence.describe(d.authoritative().outcome()));
      evidence.add(d.question() + ": resolver " + DnsEvidence.describe(d.cached()));
    }
    Difference first = differences.get(0);
    out.add(new Finding("dns.propagating", Verdict.WARN, "a DNS change is still propagating (" + first.question()
        + "): the authoritative servers answer " + first.now() + "; the resolver caches " + first.before()
        + " for another " + remaining(first.cached()) + " s" + negativeNote(first), evidence,
        Fixes.propagating(first.question(), remaining(first.cached()), first.authoritative().zone(), s.resolver())));
  }

  /** For a cached "no such record": how long receivers that cached it keep it; for a new negative answer: how long they will. */
  private static String negativeNote(Difference d) {
    long negative = d.authoritative().negativeCaching();
    if (negative <= 0) {
      return "";
    }
    String zone = d.authoritative().zone();
    if (!(d.cached() instanceof DnsOutcome.Answer)) {
      return "; receivers that cached the negative answer keep rejecting for up to " + negative
          + " s (the negative-caching time of " + zone + ": the smaller of its SOA TTL and SOA minimum, RFC 2308)";
    }
    if (!(d.authoritative().outcome() instanceof DnsOutcome.Answer)) {
      return "; receivers that now get the negative answer cache it for " + negative + " s (the negative-caching time of "
          + zone + ", RFC 2308)";
    }
    return "";
  }

  /** Seconds the resolver keeps its copy: the record TTL it counts down, or its negative TTL. */
  static long remaining(DnsOutcome cached) {
    return cached instanceof DnsOutcome.Answer a ? a.minTtl() : DnsEvidence.negativeTtl(cached);
  }

  private static String ptrText(List<String> names) {
    return names.isEmpty() ? "no PTR" : "PTR " + String.join(", ", names);
  }

  private static String addressText(String type, Set<String> addresses) {
    return addresses.isEmpty() ? "no " + type + " record" : type + " " + String.join(", ", addresses);
  }

  private static Set<String> addresses(DnsOutcome o) {
    Set<String> out = new TreeSet<>();
    if (o instanceof DnsOutcome.Answer a) {
      for (InetAddress ip : DnsEvidence.addresses(a)) {
        out.add(Addresses.text(ip));
      }
    }
    return out;
  }
}
