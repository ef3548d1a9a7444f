package org.ptrguard.cli;

/** A command line that cannot be run as given: exit 64 (sysexits EX_USAGE) with this message. */
public final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
