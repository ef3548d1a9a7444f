package org.ptrguard.cli;

/**
 * Ends a command before it runs, with an exit status: 0 after printing its help, 64 after a usage
 * error. Thrown by {@link Commands#parse}, caught by the command's run method.
 */
public final class CommandExit extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;

  CommandExit(int status) {
    super(null, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
