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

  private static long problems(LogCapture logs) {
    return logs.text().lines().filter(l -> l.contains("event=feedback-source-problem source=journal")).count();
  }
}
