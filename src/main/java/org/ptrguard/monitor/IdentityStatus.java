package org.ptrguard.monitor;

import java.util.List;
import org.ptrguard.identity.Verdict;

/**
 * What the guard needs to know about one outbound identity at decision time: the worst of its
 * addresses' reports, already reduced to plain values so a decision never waits or computes.
 *
 * @param identity the configured identity name
 * @param ip the address whose report decided the verdict (the worst one)
 * @param ptr the PTR names seen for that address (may be empty)
 * @param ehlo the EHLO name the MTA announces
 * @param verdict the identity's verdict
 * @param codes finding codes, worst first
 * @param reason the first (worst) finding's one-line message, empty on pass
 * @param stale true when a last known verdict stands in for a check that failed temporarily
 */
public record IdentityStatus(
    String identity,
    String ip,
    List<String> ptr,
    String ehlo,
    Verdict verdict,
    List<String> codes,
    String reason,
    boolean stale) {

  /** The status a session gets when no verdict could be had in time (cold and slow, or overloaded). */
  public static IdentityStatus unknown(String identity, String ip, String ehlo, String reason) {
    return new IdentityStatus(identity, ip, List.of(), ehlo, Verdict.UNKNOWN, List.of("dns.temporary"), reason, false);
  }
}
