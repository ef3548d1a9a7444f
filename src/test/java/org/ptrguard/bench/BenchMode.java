package org.ptrguard.bench;

import java.util.Optional;

/**
 * The guard modes the suite compares, each as ptrguard settings and the matching libmilter baseline
 * flag, so both servers always make the same decision with the same negotiation.
 */
public enum BenchMode {
  /** Audit: decide and log at HELO, ACCEPT there. */
  AUDIT("audit", "mode = audit", Optional.empty()),
  /** Audit with the X-PTRGuard header: the session runs to end of message. */
  AUDIT_ADD_HEADER("audit+header", "mode = audit\naudit.add-header = true", Optional.of("-a"));

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
