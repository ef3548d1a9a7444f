package org.ptrguard.identity;

import java.util.List;
import org.ptrguard.dns.EgressProbe;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;

/**
 * Egress behind NAT: when the "what is my address" server saw another address than the identity's,
 * receivers judge that other address, and every finding above is about an address they never see.
 * A probe that found nothing is no finding (the probe logged it): a third party's hiccup must not
 * change a verdict.
 */
final class EgressJudge {
  private EgressJudge() {}

  static void judge(CheckSubject s, Observations seen, Judgement out) {
    if (seen.egress().isEmpty() || !(seen.egress().get() instanceof EgressProbe.Seen found)) {
      return;
    }
    if (IpLiterals.unmapped(found.address()).equals(s.ip())) {
      return;
    }
    String bound = Addresses.text(s.ip());
    String publicAddress = Addresses.text(found.address());
    out.add(new Finding("egress.nat", Verdict.WARN, "receivers see " + publicAddress + ", not " + bound
        + " (NAT): the checks of " + bound + " are not what receivers judge", List.of(found.evidence()),
        Fixes.egressNat(s.identity().name(), s.ip(), found.address())));
  }
}
