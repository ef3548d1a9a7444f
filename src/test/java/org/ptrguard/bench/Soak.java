package org.ptrguard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ptrguard.bench.LoadGenerator.Options;
import org.ptrguard.bench.LoadGenerator.Result;
import org.ptrguard.bench.LoadGenerator.Scenario;
import org.ptrguard.testing.TestDnsServer;

/**
 * Long runs of milter sessions through one ptrguard process, with the three numbers that reveal a
 * leak taken at the start, middle and end: heap used after a full GC (jcmd GC.run, then
 * GC.heap_info), threads (/proc/PID/status) and open file descriptors (/proc/PID/fd).
 */
public final class Soak {
  /** One measurement point. */
  public record Snapshot(String at, long sessions, long heapAfterGcKiB, long threads, long fds, long rssKiB) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%-6s sessions=%9d heap_after_full_gc=%6d KiB threads=%3d fds=%3d rss=%6d KiB",
          at, sessions, heapAfterGcKiB, threads, fds, rssKiB);
    }
  }

  public record Report(List<Snapshot> snapshots, long sessions, long failures, long dnsLookups, List<Result> runs) {}

  private Soak() {}

  /**
   * Runs a warm-up, then two halves of {@code sessionsPerHalf} sessions (each also bounded by
   * {@code halfLimit}) in the HELO and MESSAGE scenarios alternately, snapshotting before, between and after.
   */
  public static Report run(PtrguardServer server, int concurrency, long sessionsPerHalf, Duration halfLimit)
      throws IOException, InterruptedException {
    LoadGenerator.run(Options.of(server.milterAddress(), concurrency, Duration.ofSeconds(3), Scenario.HELO));
    List<Snapshot> snapshots = new ArrayList<>();
    List<Result> runs = new ArrayList<>();
    long dnsBefore = server.dnsLookups();
    long sessions = 0;
    long failures = 0;
    snapshots.add(snapshot(server, "start", sessions));
    for (String at : List.of("middle", "end")) {
      // Mostly the HELO scenario (the volume), a tenth full messages (codec paths and end-of-message headers).
      Result helo = LoadGenerator.run(Options.of(server.milterAddress(), concurrency, halfLimit.multipliedBy(9).dividedBy(10),
          Scenario.HELO).withMaxSessions(sessionsPerHalf * 9 / 10));
      Result msg = LoadGenerator.run(Options.of(server.milterAddress(), concurrency, halfLimit.dividedBy(10),
          Scenario.MESSAGE).withMaxSessions(sessionsPerHalf / 10));
      runs.add(helo);
      runs.add(msg);
      sessions += helo.sessions() + msg.sessions();
      failures += helo.failures() + msg.failures();
      snapshots.add(snapshot(server, at, sessions));
    }
    return new Report(snapshots, sessions, failures, server.dnsLookups() - dnsBefore, runs);
  }

  static Snapshot snapshot(ServerProcess server, String at, long sessions) throws IOException, InterruptedException {
    // Let connections the generator just closed finish closing on the server side.
    Thread.sleep(500);
    return new Snapshot(at, sessions, heapAfterFullGcKiB(server.pid()), server.threads(), server.openFds(),
        server.rssKiB());
  }

  /** Forces a full GC with jcmd, then sums the "used" figures of every heap space GC.heap_info lists. */
  static long heapAfterFullGcKiB(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher m = Pattern.compile("total \\d+K, used (\\d+)K").matcher(info);
    long used = 0;
    boolean any = false;
    while (m.find()) {
      used += Long.parseLong(m.group(1));
      any = true;
    }
    if (!any) {
      throw new IOException("no heap figures in jcmd GC.heap_info output:\n" + info);
    }
    return used;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd)) {
      throw new IllegalStateException("no jcmd in " + jcmd.getParent() + ": install the Debian package openjdk-17-jdk-headless");
    }
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed:\n" + out);
    }
    return out;
  }

  /** Command line: {@code Soak [sessions (default 1000000)] [concurrency (default 16)]}. */
  public static void main(String[] args) throws Exception {
    long total = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    Path work = Files.createTempDirectory("ptrguard-soak-");
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer server = PtrguardServer.start(work, dns, "mode = audit\naudit.add-header = true", List.of())
             .awaitWarm()) {
      System.out.println("soak: " + total + " sessions, concurrency " + concurrency + ", pid " + server.pid() + ", "
          + BenchSuite.machine());
      long t0 = System.nanoTime();
      Report r = run(server, concurrency, total / 2, Duration.ofHours(2));
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "soak: %d sessions in %.0f s (%.0f/s), %d failed, %d DNS lookups by ptrguard,"
          + " protocol errors %d%n", r.sessions(), seconds, r.sessions() / seconds, r.failures(), r.dnsLookups(),
          server.metric("ptrguard_milter_protocol_errors_total"));
      r.snapshots().forEach(s -> System.out.println("soak: " + s));
      r.runs().forEach(run -> System.out.print(run.summary()));
    }
  }
}
