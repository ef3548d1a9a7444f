package org.ptrguard.bench;

import java.util.Optional;

/**
 * The guard modes the suite compares, each as ptrguard settings and the matching libmilter baseline
 * flag, so both servers always make the same decision with the same negotiation.
 */
public enum BenchMode {
  /** Plain audit: decide and log at HELO; no replies negotiated for CONNECT, HELO and MAIL. */
  AUDIT("audit", "mode = audit", Optional.empty()),
  /** Audit with the X-PTRGuard header: the session runs to end of message. */
  AUDIT_ADD_HEADER("audit+header", "mode = audit\naudit.add-header = true", Optional.of("-a")),
  /** Enforce: a reply at HELO (ACCEPT for the passing benchmark identity). */
  ENFORCE("enforce", "mode = enforce", Optional.of("-e"));

  private final String label;
  private final String settings;
  private final Optional<String> baselineFlag;

  BenchMode(String label, String settings, Optional<String> baselineFlag) {
    this.label = label;
    this.settings = settings;
    this.baselineFlag = baselineFlag;
  }

  public String label() {
    return label;
  }

  public String settings() {
    return settings;
  }

  public Optional<String> baselineFlag() {
    return baselineFlag;
  }
}
