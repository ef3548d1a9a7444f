package org.ptrguard.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command the way systemd runs a service whose stderr is the journal: {@code JOURNAL_STREAM}
 * holds the {@code device:inode} of the command's own stderr (here a file or pipe chosen by the test),
 * so ptrguard's journal detection, which compares the two, sees the real thing.
 */
public final class JournalStream {
  private JournalStream() {}

  /** The command wrapped in a shell that sets JOURNAL_STREAM from stderr and then execs it. */
  public static List<String> wrap(List<String> command) {
    List<String> out = new ArrayList<>(List.of("sh", "-c",
        "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) && export JOURNAL_STREAM && exec \"$@\"", "journal-stream"));
    out.addAll(command);
    return out;
  }

  /** {@code java -jar <the packaged jar> args...}, wrapped. */
  public static List<String> ptrguard(String... args) {
    return wrap(PtrguardProcess.command(args));
  }
}
