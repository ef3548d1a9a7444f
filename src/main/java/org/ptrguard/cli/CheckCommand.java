package org.ptrguard.cli;

/** {@code ptrguard check}: checks outbound identities and prints a report. Filled in by the identity work. */
public final class CheckCommand {
  private CheckCommand() {}

  public static int run(String[] args) {
    System.err.println("ptrguard: check is not implemented yet");
    return 1;
  }
}
