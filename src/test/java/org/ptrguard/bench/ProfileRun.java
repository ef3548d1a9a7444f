package org.ptrguard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ptrguard.bench.LoadGenerator.Options;
import org.ptrguard.bench.LoadGenerator.Result;
import org.ptrguard.bench.LoadGenerator.Scenario;
import org.ptrguard.testing.TestDnsServer;

/**
 * One load run against a warm ptrguard started with extra JVM flags, for profiling, e.g.
 * {@code ProfileRun helo 8 20 -XX:StartFlightRecording=filename=/tmp/p.jfr,settings=profile}; prints the
 * generator's table and the server's CPU time per session. Then: {@code jfr print --events
 * jdk.ExecutionSample /tmp/p.jfr}. {@code -Dptrguard.profile.linger-s=N} keeps the server up N seconds
 * after the run (default 5) before its RSS is printed, e.g. to take {@code jcmd PID VM.native_memory}.
 * {@code -Dptrguard.jar=...} runs another build (e.g. an older release) the same way.
 */
public final class ProfileRun {
  private ProfileRun() {}

  public static void main(String[] args) throws Exception {
    Scenario scenario = Scenario.valueOf(args[0].toUpperCase(Locale.ROOT));
    int concurrency = Integer.parseInt(args[1]);
    Duration seconds = Duration.ofSeconds(Long.parseLong(args[2]));
    List<String> flags = new ArrayList<>(List.of(args).subList(3, args.length));
    // -Dptrguard.profile.settings adds configuration lines, e.g. routes { enabled = yes, ... }
    String settings = "mode = audit\naudit.add-header = " + (scenario == Scenario.MESSAGE) + "\n"
        + System.getProperty("ptrguard.profile.settings", "");
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer p = PtrguardServer.start(Files.createTempDirectory("ptrguard-profile-"), dns, settings, flags)
             .awaitWarm()) {
      System.out.println("server pid " + p.pid());
      Files.writeString(Path.of(System.getProperty("ptrguard.profile.pidfile", "/dev/null")), p.pid() + "\n");
      LoadGenerator.run(Options.of(p.milterAddress(), concurrency, Duration.ofSeconds(3), scenario));
      long cpu0 = p.cpuMillis();
      long gc0 = p.gcCollections();
      double gcSeconds0 = p.gcSeconds();
      long accepted0 = p.metric("ptrguard_milter_connections_accepted_total");
      Result r = LoadGenerator.run(Options.of(p.milterAddress(), concurrency, seconds, scenario)
          .withStageGap(Duration.ofMillis(Long.getLong("ptrguard.profile.gap-ms", 0))));
      long cpu = p.cpuMillis() - cpu0;
      long sessions = p.metric("ptrguard_milter_connections_accepted_total") - accepted0;
      System.out.print(r.summary());
      System.out.printf(Locale.ROOT, "server gc: %d collections, %.0f ms, %.2f per 1000 sessions%n",
          p.gcCollections() - gc0, 1000 * (p.gcSeconds() - gcSeconds0), 1000.0 * (p.gcCollections() - gc0) / sessions);
      System.out.printf(Locale.ROOT, "server cpu=%d ms sessions=%d cpu_per_session=%.0f us rss=%d KiB threads=%d load=%s%n",
          cpu, sessions, 1000.0 * cpu / sessions, p.rssKiB(), p.threads(), BenchSuite.loadAverage());
      long linger = Long.getLong("ptrguard.profile.linger-s", 5);
      Thread.sleep(1000 * linger);
      System.out.printf(Locale.ROOT, "server rss %d s after the run: %d KiB%n", linger, p.rssKiB());
      Path log = p.logFile();
      System.out.println("server log: " + log);
    }
  }
}
