package org.ptrguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.bench.LoadGenerator.Options;
import org.ptrguard.bench.LoadGenerator.Result;
import org.ptrguard.bench.LoadGenerator.Scenario;
import org.ptrguard.testing.TestDnsServer;

/**
 * 100 configuration reloads (SIGHUP, as systemctl reload sends) while the load generator runs full
 * sessions: no session may be dropped or get an invalid reply, and the mode changes take effect.
 */
class ReloadUnderLoadIT {
  /** Three configurations with visibly different answers at HELO and end of message. */
  static final List<String> CONFIGS = List.of(
      "mode = audit\naudit.add-header = true",  // HELO continue, EOM adds X-PTRGuard
      "mode = enforce",                          // pass verdict: HELO accept
      "mode = audit");                           // HELO accept

  @Test
  void hundredReloadsDropNoSession(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, CONFIGS.get(0), List.of()).awaitWarm()) {
      long before = ptrguard.countLog("event=reload result=applied");
      AtomicBoolean reloadsDone = new AtomicBoolean();
      CompletableFuture<Result> load = CompletableFuture.supplyAsync(() -> {
        try {
          return LoadGenerator.run(Options.of(ptrguard.milterAddress(), 8, Duration.ofSeconds(120), Scenario.MESSAGE)
              .withMessagesPerSession(2), reloadsDone::get);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(300);
      for (int i = 1; i <= 100; i++) {
        ptrguard.reload(CONFIGS.get(i % CONFIGS.size()));
        assertThat(load).as("load run ended before reload " + i).isNotDone();
      }
      reloadsDone.set(true);
      Result r = load.get(60, TimeUnit.SECONDS);

      assertThat(ptrguard.countLog("event=reload result=applied") - before).isEqualTo(100);
      assertThat(r.failures()).as(r.summary()).isZero();
      assertThat(r.sessions()).as(r.summary()).isGreaterThan(100);
      // Both kinds of HELO answer were seen, so sessions really ran under the changing configurations.
      assertThat(r.replies().get("helo:a")).isPositive();
      assertThat(r.replies().get("helo:c")).isPositive();
      assertThat(r.replies().get("helo:a") + r.replies().get("helo:c")).isEqualTo(r.sessions());
      assertThat(r.replies().get("eom-mod:h")).isPositive();
      assertThat(ptrguard.metric("ptrguard_decisions_total{mode=\"enforce\",action=\"accept\",verdict=\"pass\"}"))
          .isPositive();
      assertThat(ptrguard.metric("ptrguard_milter_protocol_errors_total")).isZero();
      assertThat(ptrguard.log()).doesNotContain("Exception").doesNotContain("ERROR");
      // Every connection the server accepted was one of the generator's sessions (plus the start-up probe).
      assertThat(ptrguard.metric("ptrguard_milter_connections_accepted_total"))
          .isGreaterThanOrEqualTo(r.sessions());
      assertThat(ptrguard.isAlive()).isTrue();
    }
  }
}
