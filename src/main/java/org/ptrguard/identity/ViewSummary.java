package org.ptrguard.identity;

import java.net.InetAddress;
import java.util.List;
import org.ptrguard.dns.DnsOutcome;

/** One resolver view's answer reduced to what a receiver's verdict depends on. */
record ViewSummary(String resolver, boolean temporary, List<String> ptrNames, List<String> confirming) {
  static ViewSummary of(String resolver, DnsOutcome ptr, List<NameAnswer> forward, InetAddress ip) {
    boolean temporary = ptr.isTemporary() || forward.stream().anyMatch(f -> f.outcome().isTemporary());
    List<String> confirming = forward.stream()
        .filter(f -> f.outcome() instanceof DnsOutcome.Answer a && DnsEvidence.addresses(a).contains(ip))
        .map(NameAnswer::name).sorted().toList();
    return new ViewSummary(resolver, temporary, DnsEvidence.ptrNames(ptr).stream().sorted().toList(), confirming);
  }

  boolean sameAnswer(ViewSummary other) {
    return ptrNames.equals(other.ptrNames) && confirming.equals(other.confirming);
  }

  String describe() {
    return resolver + ": PTR " + (ptrNames.isEmpty() ? "none" : String.join(", ", ptrNames))
        + "; resolving back: " + (confirming.isEmpty() ? "none" : String.join(", ", confirming));
  }
}
