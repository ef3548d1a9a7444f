package org.ptrguard.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;

/**
 * A systemd journal for the lab that needs no journald: Postfix's real log lines, as Postfix wrote
 * them to its maillog_file, are appended as journal entries (the fields journald gives a syslog
 * message: SYSLOG_IDENTIFIER, SYSLOG_PID, _COMM, MESSAGE) to a journal file by
 * systemd-journal-remote. A process started behind {@link #prefix} sees that directory as this
 * machine's journal (/var/log/journal/MACHINE-ID, in a mount namespace of its own, with an empty
 * /run/log/journal), so ptrguard's {@code feedback.source = journal} runs the real
 * {@code journalctl --follow} against it and never sees the machine's own journal.
 */
final class LabJournal {
  static final Path REMOTE = Path.of("/lib/systemd/systemd-journal-remote");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** {@code Dec 03 10:29:35 host TAG[PID]: MESSAGE} as Postfix's postlogd writes maillog_file. */
  private static final Pattern SYSLOG = Pattern.compile("^\\S+ +\\d+ [\\d:]+ \\S+ ([^\\[: ]+)\\[(\\d+)\\]: (.*)$");

  private final Path machineDir;
  private final Path file;
  private final String machineId;
  private int entries;

  private LabJournal(Path machineDir, String machineId) {
    this.machineDir = machineDir;
    this.machineId = machineId;
    this.file = machineDir.resolve("system.journal");
  }

  /** Why the lab cannot have such a journal on this machine, if it cannot. */
  static Optional<String> unavailable() {
    if (!Files.isExecutable(REMOTE)) {
      return Optional.of(REMOTE + " is missing (Debian package systemd-journal-remote, see .ci/install-deps)");
    }
    if (machineId().isEmpty()) {
      return Optional.of("/etc/machine-id is missing: journalctl reads only the journal directory named after it");
    }
    if (!Files.isDirectory(Path.of("/var/log"))) {
      return Optional.of("/var/log does not exist to mount the lab's journal under");
    }
    return Optional.empty();
  }

  private static Optional<String> machineId() {
    try {
      String id = Files.readString(Path.of("/etc/machine-id")).strip();
      return id.matches("[0-9a-f]{32}") ? Optional.of(id) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * This boot's ID: journalctl --follow on the local journal shows only the current boot's entries,
   * so an entry with another boot ID would never reach ptrguard.
   */
  private static String bootId() throws IOException {
    return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip().replace("-", "");
  }

  static LabJournal create(Path dir) throws IOException {
    String id = machineId().orElseThrow(() -> new IllegalStateException(unavailable().orElse("no machine id")));
    return new LabJournal(Files.createDirectories(dir.resolve(id)), id);
  }

  /**
   * unshare(1) and a shell that mount a tmpfs over /var/log (and /run/log/journal where it exists),
   * bind this journal's directory as /var/log/journal/MACHINE-ID, then exec the command after it.
   */
  List<String> prefix() {
    String script = "set -e; mount -t tmpfs ptrguard-lab-log /var/log; "
        + "if [ -d /run/log/journal ]; then mount -t tmpfs ptrguard-lab-run /run/log/journal; fi; "
        + "mkdir -p /var/log/journal/" + machineId + "; mount --bind \"$0\" /var/log/journal/" + machineId + "; "
        + "shift; exec \"$@\"";
    return List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", script, machineDir.toString(), "--");
  }

  /** Appends Postfix's log line {@code syslogLine} (maillog_file form) as a journal entry. */
  void append(String syslogLine) throws IOException, InterruptedException {
    Matcher m = SYSLOG.matcher(syslogLine);
    assertThat(m.matches()).as("a syslog line: " + syslogLine).isTrue();
    String tag = m.group(1);
    String command = tag.substring(tag.lastIndexOf('/') + 1);
    entries++;
    long micros = System.currentTimeMillis() * 1000 + entries;
    Path export = machineDir.getParent().resolve("entry-" + entries + ".export");
    Files.writeString(export, "__REALTIME_TIMESTAMP=" + micros + "\n__MONOTONIC_TIMESTAMP=" + entries
        + "\n_BOOT_ID=" + bootId() + "\n_MACHINE_ID=" + machineId + "\n_COMM=" + command
        + "\n_PID=" + m.group(2) + "\nSYSLOG_IDENTIFIER=" + tag + "\nSYSLOG_PID=" + m.group(2) + "\nMESSAGE="
        + m.group(3) + "\n\n", StandardCharsets.UTF_8);
    ProcessResult r = Commands.run(TIMEOUT, List.of(REMOTE.toString(), "--output=" + file, export.toString()));
    assertThat(r.ok()).as(r.describe()).isTrue();
  }
}
