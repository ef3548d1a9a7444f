package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.LogCapture;

/** journalctl missing or exiting: a log line and a retry with backoff, never an end of following. */
class JournalLogFollowerTest {
  private static final LogFollower.Timing FAST =
      new LogFollower.Timing(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(1));
  private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

  @Test
  void aMissingJournalctlIsRetriedWithBackoff() throws Exception {
    try (LogCapture logs = LogCapture.start();
        JournalLogFollower f = new JournalLogFollower("/nonexistent/journalctl-" + ProcessHandle.current().pid(), List.of(),
            seen::add, FAST).start()) {
      FileLogFollowerTest.waitUntil(() -> problems(logs) >= 3, Duration.ofSeconds(20));
      assertThat(problems(logs)).as("retried").isGreaterThanOrEqualTo(3);
      assertThat(logs.text()).contains("journalctl cannot be run");
      assertThat(logs.text()).contains("retry-in-ms=50").contains("retry-in-ms=100").contains("retry-in-ms=200");
    }
    assertThat(seen).isEmpty();
  }

  @Test
  void journalctlExitingIsALogLineWithItsComplaintAndARetry() throws Exception {
    // The real journalctl, given a journal file that is not there, complains and exits 1.
    try (LogCapture logs = LogCapture.start();
        JournalLogFollower f = new JournalLogFollower("journalctl", List.of("--file=/nonexistent/ptrguard-test.journal"),
            seen::add, FAST).start()) {
      FileLogFollowerTest.waitUntil(() -> problems(logs) >= 2, Duration.ofSeconds(30));
      assertThat(problems(logs)).isGreaterThanOrEqualTo(2);
      assertThat(logs.text()).contains("journalctl exited with status 1").contains("No such file or directory");
    }
  }

  @Test
  void theFirstRunStartsAtTheEndAndARestartContinuesAfterTheLastEntry() {
    JournalLogFollower f = new JournalLogFollower("journalctl", List.of(), seen::add, FAST);
    assertThat(f.command()).contains("--follow", "--output=json", "--lines=0", "_COMM=smtp", "_COMM=lmtp");
  }

  /**
   * A real journal file written by systemd-journal-remote (no journald needed on the test machine):
   * the follower starts at its end and receives the entry appended afterwards, parsed as Postfix's.
   */
  @Test
  void followsARealJournalFromItsEnd(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path remote = java.nio.file.Path.of("/lib/systemd/systemd-journal-remote");
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(remote),
        "systemd-journal-remote is not installed (Debian package systemd-journal-remote, see .ci/install-deps)");
    java.nio.file.Path journal = dir.resolve("test.journal");
    writeEntry(remote, dir, journal, 1, "OLD1234567: host mx.example.com[192.0.2.1] said: 550 5.7.25 history");
    List<DeliveryLogLine> lines = Collections.synchronizedList(new ArrayList<>());
    try (JournalLogFollower f = new JournalLogFollower("journalctl", List.of("--file=" + journal),
        LogFollower.delivering(DeliveryLogParser.standard(), lines::add), FAST).start()) {
      Thread.sleep(1500); // journalctl opens the file and reaches its end, usually
      // An entry written before journalctl reached the end is (rightly) never delivered: on a loaded
      // machine 1.5 s was not always enough, so another entry follows every 3 s until one arrives.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      for (int n = 2; lines.isEmpty() && System.nanoTime() < deadline; n++) {
        writeEntry(remote, dir, journal, n, "NEW123456" + n + ": host mx.example.com[192.0.2.1] said: 450 4.7.25"
            + " Client host rejected: cannot find your hostname, [192.0.2.9] (in reply to RCPT TO command)");
        FileLogFollowerTest.waitUntil(() -> !lines.isEmpty(), Duration.ofSeconds(3));
      }
      Thread.sleep(300);
    }
    // The entry from before the start never arrives; one appended afterwards does, exactly once.
    assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l.queueId()).hasValueSatisfying(q -> assertThat(q).startsWith("NEW")));
    assertThat(lines.stream().map(DeliveryLogLine::queueId).distinct().count()).isEqualTo(lines.size());
    assertThat(lines.get(0)).satisfies(l -> {
      assertThat(l.queueId()).hasValueSatisfying(q -> assertThat(q).startsWith("NEW123456"));
      assertThat(l.service()).isEqualTo("smtp-b");
      assertThat(l.pid()).isEqualTo(4242);
      assertThat(l.reply().flatMap(DeliveryLogLine.Reply::sendingAddress).map(java.net.InetAddress::getHostAddress))
          .contains("192.0.2.9");
    });
  }

  private static void writeEntry(java.nio.file.Path remote, java.nio.file.Path dir, java.nio.file.Path journal, int n,
      String message) throws Exception {
    java.nio.file.Path export = dir.resolve("entry-" + n + ".export");
    java.nio.file.Files.writeString(export, "__REALTIME_TIMESTAMP=" + (1_796_280_000_000_000L + n * 1_000_000L) + "\n"
        + "__MONOTONIC_TIMESTAMP=" + n + "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_COMM=smtp\n"
        + "SYSLOG_IDENTIFIER=postfix/smtp-b/smtp\nSYSLOG_PID=4242\nMESSAGE=" + message + "\n\n");
    Process p = new ProcessBuilder(remote.toString(), "--output=" + journal, export.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
  }

  private static long problems(LogCapture logs) {
    return logs.text().lines().filter(l -> l.contains("event=feedback-source-problem source=journal")).count();
  }
}
