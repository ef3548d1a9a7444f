package org.ptrguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole suite that {@code bench/run-all.sh} runs, shrunk to about a minute (1 s runs, 60 messages
 * through each Postfix instance, memory section left out because it waits 30 s per sample): the
 * tables must come out complete, with no failed session, no negotiation mismatch and no DNS on the
 * warm path. The figures themselves mean nothing at this size and are not checked.
 */
class BenchSuiteSmokeIT {
  @Test
  void everySectionProducesItsTableWithoutFailures() throws Exception {
    List<String> summary = BenchSuite.run(Map.of("rounds", "1", "seconds", "1", "warmup", "0", "jit-warmup", "1",
        "postfix-messages", "60", "postfix-rounds", "1", "postfix-sessions", "4", "skip", "memory,jmh"));
    String text = String.join("\n", summary);

    assertThat(summary).as(text).noneMatch(l -> l.startsWith("note:"));
    for (String scenario : List.of("helo", "message")) {
      assertThat(text).contains("milter " + scenario + " scenario");
    }
    // Per scenario and concurrency: one row per server, no failures, no DNS while warm.
    assertThat(summary.stream().filter(l -> l.matches("  (8|64) +ptrguard .* 0 +0\\.0000 .*"))).as(text).hasSize(4);
    assertThat(summary.stream().filter(l -> l.matches("  (8|64) +libmilter .* 0 +- .*"))).as(text).hasSize(4);
    assertThat(summary.stream().filter(l -> l.contains("ptrguard garbage collections:"))).as(text).hasSize(4);
    for (String instance : List.of("with ptrguard", "ptrguard, unix", "without milter", "with libmilter",
        "libmilter floor", "floor, unix")) {
      assertThat(summary).as(text).anyMatch(l -> l.startsWith("  " + instance + " "));
    }
    assertThat(text).containsPattern("ptrguard saw (\\d+) HELOs from Postfix; DNS lookups during the runs: 0 .*"
        + "sessions that waited for DNS: 0");
    // Each instance: two rates, the machine's and the milter's CPU per message, then two paired ratios
    // with their range; the no-milter instance has no milter CPU and is 100% of itself.
    assertThat(summary).as(text).anyMatch(l -> l.matches("  without milter +\\d+ +\\d+ +\\d+ +- +100\\.0%"
        + " \\(100\\.0-100\\.0\\) +100\\.0% \\(100\\.0-100\\.0\\)"));
    assertThat(summary).as(text).anyMatch(l -> l.matches("  with ptrguard +\\d+ +\\d+ +\\d+ +\\d+ +\\d+\\.\\d%.*"));
    assertThat(summary).as(text).anyMatch(l -> l.matches("  floor, unix +\\d+ +\\d+ +\\d+ +\\d+ +\\d+\\.\\d%.*"));
  }
}
