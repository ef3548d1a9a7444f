package org.ptrguard.testing;

import java.util.List;

/** Outcome of one finished external command. */
public record ProcessResult(List<String> command, int exitCode, String stdout, String stderr) {

  public boolean ok() {
    return exitCode == 0;
  }

  /** One readable block for assertion and exception messages. */
  public String describe() {
    return String.join(" ", command) + " -> exit " + exitCode
        + (stdout.isBlank() ? "" : "\n--- stdout ---\n" + stdout.strip())
        + (stderr.isBlank() ? "" : "\n--- stderr ---\n" + stderr.strip());
  }
}
