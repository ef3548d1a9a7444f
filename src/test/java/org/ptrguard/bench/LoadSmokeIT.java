package org.ptrguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ptrguard.bench.LoadGenerator.Options;
import org.ptrguard.bench.LoadGenerator.Result;
import org.ptrguard.bench.LoadGenerator.Scenario;
import org.ptrguard.milter.MilterProtocol;
import org.ptrguard.testing.TestDnsServer;

/**
 * A few seconds of the benchmark harness in the normal build, so it cannot rot: the load generator
 * against the packaged jar (launcher JVM flags, warm identity) and against the compiled libmilter
 * baseline, with the checks the full benchmark relies on.
 */
class LoadSmokeIT {
  @Test
  void warmGuardServesTheGeneratorWithoutDnsQueries(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work)
      throws Exception {
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, "mode = audit", List.of()).awaitWarm()) {
      assertThat(ptrguard.startup()).as("start to listening").isLessThan(Duration.ofSeconds(10));
      long dnsLookups = ptrguard.dnsLookups();
      long dnsQueries = dns.queries();
      long accepted = ptrguard.metric("ptrguard_decisions_total{mode=\"audit\",action=\"accept\",verdict=\"pass\"}");

      Result helo = LoadGenerator.run(Options.of(ptrguard.milterAddress(), 8, Duration.ofSeconds(3), Scenario.HELO)
          .withWarmup(Duration.ofMillis(500)));

      assertThat(helo.failures()).as(helo.summary()).isZero();
      assertThat(helo.sessions()).as(helo.summary()).isGreaterThan(100);
      // CONNECT goes unanswered (NR_CONN); the decision is the ACCEPT at HELO.
      assertThat(helo.replies()).containsEntry("connect:-", helo.sessions())
          .containsEntry("helo:a", helo.sessions());
      assertThat(helo.commands()).containsKeys("connect", "optneg", "conninfo", "helo");
      assertThat(helo.session().p99Us()).isGreaterThan(0);
      // Warm guard: no DNS traffic at all during the run, seen both by ptrguard's counter and by the server.
      assertThat(ptrguard.dnsLookups()).as("ptrguard_dns_lookups_total during the run").isEqualTo(dnsLookups);
      assertThat(dns.queries()).as("queries at the DNS server during the run").isEqualTo(dnsQueries);
      // Warm-up sessions are decided too, so at least every measured session was.
      assertThat(ptrguard.metric("ptrguard_decisions_total{mode=\"audit\",action=\"accept\",verdict=\"pass\"}")
          - accepted).isGreaterThanOrEqualTo(helo.sessions());

      ptrguard.reload("mode = audit\naudit.add-header = true");
      Result message = LoadGenerator.run(Options.of(ptrguard.milterAddress(), 4, Duration.ofSeconds(2),
          Scenario.MESSAGE));
      assertThat(message.failures()).as(message.summary()).isZero();
      assertThat(message.messages()).isEqualTo(3 * message.sessions()).isPositive();
      // ptrguard negotiated RCPT to body away, so (like Postfix) the generator sent MAIL and EOB only.
      assertThat(message.commands()).containsKeys("mail", "eom").doesNotContainKeys("rcpt", "header", "body");
      assertThat(message.replies()).containsEntry("eom-mod:h", message.messages());
      assertThat(ptrguard.metric("ptrguard_milter_protocol_errors_total")).isZero();

      // SIGTERM (systemctl stop): exit 143 and a clean log. With metrics on, the daemon used to be
      // closed twice (shutdown hook and main thread) and printed a RejectedExecutionException.
      ptrguard.close();
      assertThat(ptrguard.exitValue()).isEqualTo(143);
      assertThat(ptrguard.log()).contains("event=stopping").doesNotContain("Exception");
    }
  }

  @ParameterizedTest
  @EnumSource(BenchMode.class)
  void libmilterBaselineBuildsAndNegotiatesLikePtrguard(BenchMode mode,
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Path binary = BaselineServer.build(work);
    Scenario scenario = mode == BenchMode.AUDIT_ADD_HEADER ? Scenario.MESSAGE : Scenario.HELO;
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work.resolve("p"), dns, mode.settings(), List.of()).awaitWarm();
         BaselineServer baseline = BaselineServer.start(binary, work.resolve("b"), mode)) {
      Result theirs = LoadGenerator.run(Options.of(baseline.milterAddress(), 4, Duration.ofSeconds(1), scenario));
      Result ours = LoadGenerator.run(Options.of(ptrguard.milterAddress(), 1, Duration.ofMillis(300), scenario));
      assertThat(theirs.failures()).as(theirs.summary()).isZero();
      assertThat(ours.failures()).as(ours.summary()).isZero();
      assertThat(theirs.sessions()).isPositive();
      // Same protocol steps, actions and macros: the comparison measures the same work. The one
      // difference is ptrguard's no-reply CONNECT (see QuickAck for why libmilter cannot have it).
      var a = ours.negotiated().orElseThrow();
      var b = theirs.negotiated().orElseThrow();
      assertThat(a.protocol() & MilterProtocol.SMFIP_NR_CONN).isNotZero();
      assertThat(a.protocol() & ~MilterProtocol.SMFIP_NR_CONN).isEqualTo(b.protocol());
      assertThat(a.actions()).isEqualTo(b.actions());
      assertThat(a.macroLists()).isEqualTo(b.macroLists());
      // And the same answers at HELO and end of message; CONNECT goes unanswered by ptrguard only.
      assertThat(ours.replies()).containsKey("connect:-").doesNotContainKey("connect:c");
      assertThat(theirs.replies()).containsKey("connect:c");
      assertThat(withoutConnect(theirs.replies().keySet())).isEqualTo(withoutConnect(ours.replies().keySet()));
      String decision = switch (mode) {
        case AUDIT -> "event=decision mode=audit action=accept verdict=pass stage=helo";
        case AUDIT_ADD_HEADER -> "event=decision mode=audit action=add-header verdict=pass stage=helo";
      };
      assertThat(baseline.countLog(decision)).isEqualTo(theirs.sessions());
      switch (mode) {
        case AUDIT -> assertThat(theirs.replies()).containsEntry("helo:a", theirs.sessions());
        case AUDIT_ADD_HEADER -> assertThat(theirs.replies()).containsEntry("eom-mod:h", theirs.messages());
      }
    }
  }

  @Test
  void floorBaselineAcceptsAtConnect(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Path binary = BaselineServer.build(work);
    try (BaselineServer floor = BaselineServer.startFloor(binary, work.resolve("f"))) {
      Result r = LoadGenerator.run(Options.of(floor.milterAddress(), 2, Duration.ofMillis(500), Scenario.HELO));
      assertThat(r.failures()).as(r.summary()).isZero();
      assertThat(r.replies()).containsEntry("connect:a", r.sessions()).doesNotContainKey("helo:a");
      assertThat(floor.countLog("event=decision")).isZero();
    }
  }

  private static java.util.Set<String> withoutConnect(java.util.Set<String> keys) {
    return keys.stream().filter(k -> !k.startsWith("connect:")).collect(java.util.stream.Collectors.toSet());
  }
}
