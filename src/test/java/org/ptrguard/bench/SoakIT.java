package org.ptrguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
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
      // A leak of even 50 bytes per session would add more than this over the run.
      assertThat(end.heapAfterGcKiB()).as(r.snapshots().toString()).isLessThan(start.heapAfterGcKiB() + 2048);
      assertThat(end.heapAfterGcKiB()).as(r.snapshots().toString()).isLessThan(middle.heapAfterGcKiB() + 2048);
      assertThat(end.threads()).as(r.snapshots().toString()).isLessThanOrEqualTo(start.threads() + 1);
      assertThat(end.fds()).as(r.snapshots().toString()).isLessThanOrEqualTo(start.fds() + 2);
      assertThat(server.metric("ptrguard_milter_protocol_errors_total")).isZero();
      assertThat(server.metric("ptrguard_milter_connections")).isZero();
    }
  }
}
