package org.ptrguard.identity;

import java.util.List;

/**
 * One thing a strict receiver would object to (or could not find out).
 *
 * @param code stable identifier, e.g. {@code fcrdns.mismatch}
 * @param severity WARN, FAIL or UNKNOWN
 * @param message one line for the log and the report
 * @param evidence the records seen, with TTLs and the resolver that answered
 * @param fix what the admin should do, and whom to ask
 */
public record Finding(String code, Verdict severity, String message, List<String> evidence, String fix) {
  public Finding {
    evidence = List.copyOf(evidence);
  }
}
