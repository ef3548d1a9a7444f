package org.ptrguard.cli;

/** {@code ptrguard serve}: runs the milter server until stopped. Filled in by the milter work. */
public final class ServeCommand {
  private ServeCommand() {}

  public static int run(String[] args) {
    System.err.println("ptrguard: serve is not implemented yet");
    return 1;
  }
}
