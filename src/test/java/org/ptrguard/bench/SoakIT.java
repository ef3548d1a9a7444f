package org.ptrguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.monitor.QueueVerdicts;
import org.ptrguard.testing.TestDnsServer;

/**
 * The CI-sized soak (about a minute; the million-session run is bench/run-all.sh soak): sessions
 * through one ptrguard process while heap after full GC, threads and file descriptors stay flat.
 */
class SoakIT {
  @Test
  void heapThreadsAndDescriptorsStayFlat(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer server = PtrguardServer.start(work, dns, "mode = audit\naudit.add-header = true", List.of())
             .awaitWarm()) {
      Soak.Report r = Soak.run(server, 16, 1_000_000, Duration.ofSeconds(25));
      r.snapshots().forEach(s -> System.out.println("soak: " + s));
      Soak.Snapshot start = r.snapshots().get(0);
      Soak.Snapshot middle = r.snapshots().get(1);
      Soak.Snapshot end = r.snapshots().get(2);

      assertThat(r.failures()).isZero();
      assertThat(r.sessions()).isGreaterThan(5_000);
      assertThat(r.dnsLookups()).as("DNS lookups while warm").isZero();
      // The daemon keeps the verdicts of the last QueueVerdicts.DEFAULT_CAPACITY messages by queue ID
      // (receiver feedback ties Postfix's log to them): a bounded map, full long before the middle
      // snapshot, that adds about 2 MiB over the start. The leak check is therefore middle -> end,
      // once every bounded structure is full (the second half of the run is over 150,000 sessions on
      // the development machine: a leak of 15 bytes per session would add more than 2 MiB).
      assertThat(middle.sessions()).as(r.snapshots().toString()).isGreaterThan(QueueVerdicts.DEFAULT_CAPACITY);
      assertThat(end.heapAfterGcKiB()).as(r.snapshots().toString()).isLessThan(middle.heapAfterGcKiB() + 2048);
      assertThat(end.heapAfterGcKiB()).as(r.snapshots().toString()).isLessThan(start.heapAfterGcKiB() + 4096);
      assertThat(end.threads()).as(r.snapshots().toString()).isLessThanOrEqualTo(start.threads() + 1);
      assertThat(end.fds()).as(r.snapshots().toString()).isLessThanOrEqualTo(start.fds() + 2);
      assertThat(server.metric("ptrguard_milter_protocol_errors_total")).isZero();
      assertThat(server.metric("ptrguard_milter_connections")).isZero();
    }
  }
}
