package org.ptrguard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.ptrguard.bench.LoadGenerator.Options;
import org.ptrguard.bench.LoadGenerator.Result;
import org.ptrguard.bench.LoadGenerator.Scenario;
import org.ptrguard.testing.Commands;
import org.ptrguard.milter.MilterProtocol;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.SmtpSink;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.TestFiles;

/**
 * The whole performance suite (bench/run-all.sh runs it): ptrguard against the libmilter baseline
 * with the same load generator in alternating runs, Postfix end to end with and without ptrguard,
 * memory (idle and with 1,000 open milter sessions) and start-up time; prints one table.
 *
 * <p>Arguments (all optional): {@code --rounds 3 --seconds 10 --warmup 2 --postfix-messages 2000
 * --skip postfix,memory,milter}; {@code milter-helo} or {@code milter-message} skips one milter scenario.
 */
public final class BenchSuite {
  private final Map<String, String> args;
  private final Path work;
  private final List<String> table = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  private BenchSuite(Map<String, String> args, Path work) {
    this.args = args;
    this.work = work;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    run(a);
    System.exit(0);
  }

  /**
   * Runs the suite with these arguments (names without "--"); returns the summary it printed. The
   * work directory (server logs with a decision line per session: hundreds of MB in a full run) is
   * removed after a successful run unless {@code --keep-work yes}; after a failure it is kept.
   */
  static List<String> run(Map<String, String> args) throws Exception {
    Path work = Files.createTempDirectory("ptrguard-bench-");
    BenchSuite suite = new BenchSuite(args, work);
    try {
      suite.run();
    } catch (Exception | Error e) {
      System.out.println("work directory kept for its logs: " + work);
      throw e;
    }
    if ("yes".equals(args.get("keep-work"))) {
      System.out.println("work directory kept (--keep-work yes): " + work);
    } else {
      TestFiles.deleteTree(work);
    }
    List<String> summary = new ArrayList<>(suite.table);
    suite.notes.forEach(n -> summary.add("note: " + n));
    return summary;
  }

  private int intArg(String name, int def) {
    return Integer.parseInt(args.getOrDefault(name, Integer.toString(def)));
  }

  private boolean skipped(String part) {
    return List.of(args.getOrDefault("skip", "").split(",")).contains(part);
  }

  private void run() throws Exception {
    log("ptrguard bench start=" + Instant.now() + " " + machine());
    Path baseline = BaselineServer.build(work.resolve("baseline-bin"));
    try (TestDnsServer dns = PtrguardServer.startDns()) {
      if (!skipped("milter") && !skipped("milter-helo")) {
        milter(dns, baseline, Scenario.HELO, BenchMode.AUDIT);
      }
      if (!skipped("milter") && !skipped("milter-message")) {
        milter(dns, baseline, Scenario.MESSAGE, BenchMode.AUDIT_ADD_HEADER);
      }
      if (!skipped("postfix")) {
        postfix(dns, baseline);
      }
      if (!skipped("memory")) {
        memoryAndStartup(dns, baseline);
      }
    }
    log("ptrguard bench end=" + Instant.now() + " load=" + loadAverage());
    System.out.println();
    System.out.println("==== ptrguard performance summary ====");
    System.out.println(machine());
    table.forEach(System.out::println);
    notes.forEach(n -> System.out.println("note: " + n));
  }

  // ---------------------------------------------------------------- milter: ptrguard vs libmilter

  private void milter(TestDnsServer dns, Path baselineBinary, Scenario scenario, BenchMode mode) throws Exception {
    int rounds = intArg("rounds", 3);
    Duration seconds = Duration.ofSeconds(intArg("seconds", 10));
    Duration warmup = Duration.ofSeconds(intArg("warmup", 2));
    String name = scenario.name().toLowerCase(Locale.ROOT) + "-" + mode.name().toLowerCase(Locale.ROOT);
    try (PtrguardServer ptrguard = PtrguardServer.start(work.resolve("ptrguard-" + name), dns, mode.settings(),
             List.of()).awaitWarm();
         BaselineServer baseline = BaselineServer.start(baselineBinary, work.resolve("baseline-" + name), mode)) {
      table.add("");
      table.add(String.format(Locale.ROOT, "milter %s scenario, mode %s (%s), %d alternating runs of %ds each, medians:",
          scenario.name().toLowerCase(Locale.ROOT), mode.label(), switch (mode) {
            case AUDIT -> "OPTNEG, macros, CONNECT, HELO, QUIT; ACCEPT at HELO";
            case AUDIT_ADD_HEADER ->
                "HELO then 3 messages: MAIL, RCPT x3, DATA, 20 headers, EOH, 10 KiB body, EOB, ABORT; header at EOB";
          }, rounds, seconds.toSeconds()));
      table.add(String.format(Locale.ROOT, "  %-5s %-10s %10s %9s %9s %9s %8s %9s %8s", "conc", "server", "sess/s",
          "p50_ms", "p99_ms", "p99.9_ms", "fail", "dns/sess", "ratio"));
      // A daemon runs for days: measure it JIT-compiled, not while C2 is still busy (the first 10 s of
      // load ran at about half the later rate). Both servers get the same unmeasured warm-up.
      Duration warmAll = Duration.ofSeconds(intArg("jit-warmup", 10));
      LoadGenerator.run(Options.of(ptrguard.milterAddress(), 8, warmAll, scenario));
      LoadGenerator.run(Options.of(baseline.milterAddress(), 8, warmAll, scenario));
      for (int concurrency : new int[] {8, 64}) {
        List<Result> ours = new ArrayList<>();
        List<Result> theirs = new ArrayList<>();
        long dnsBefore = ptrguard.dnsLookups();
        long dnsServerBefore = dns.queries();
        long ourCpu = 0;
        long theirCpu = 0;
        long ourAll = 0;
        long theirAll = 0;
        long gcBefore = ptrguard.gcCollections();
        double gcSecondsBefore = ptrguard.gcSeconds();
        for (int round = 0; round < rounds; round++) {
          Options o = Options.of(ptrguard.milterAddress(), concurrency, seconds, scenario).withWarmup(warmup);
          long cpu0 = ptrguard.cpuMillis();
          long accepted0 = ptrguard.metric("ptrguard_milter_connections_accepted_total");
          ours.add(runOnce("ptrguard", o));
          ourCpu += ptrguard.cpuMillis() - cpu0;
          ourAll += ptrguard.metric("ptrguard_milter_connections_accepted_total") - accepted0;
          cpu0 = baseline.cpuMillis();
          long decided0 = baseline.countLog("event=decision");
          Result theirRun = runOnce("libmilter", Options.of(baseline.milterAddress(), concurrency, seconds, scenario)
              .withWarmup(warmup));
          theirs.add(theirRun);
          theirCpu += baseline.cpuMillis() - cpu0;
          theirAll += baseline.countLog("event=decision") - decided0;
        }
        long dnsDuring = ptrguard.dnsLookups() - dnsBefore;
        long dnsServerDuring = dns.queries() - dnsServerBefore;
        long sessions = ours.stream().mapToLong(Result::sessions).sum();
        checkSameNegotiation(ours.get(0), theirs.get(0));
        double ourRate = median(ours, Result::sessionsPerSecond);
        double theirRate = median(theirs, Result::sessionsPerSecond);
        table.add(row(concurrency, "ptrguard", ours, String.format(Locale.ROOT, "%.4f", (double) dnsDuring / sessions),
            String.format(Locale.ROOT, "%.2f", ourRate / theirRate)));
        table.add(row(concurrency, "libmilter", theirs, "-", "1.00"));
        table.add(String.format(Locale.ROOT, "  %-5s p99 session latency ptrguard/libmilter = %.2f; DNS during the"
            + " ptrguard runs: %d lookups by ptrguard, %d queries at the DNS server, %d sessions",
            "", median(ours, r -> r.session().p99Us()) / median(theirs, r -> r.session().p99Us()), dnsDuring,
            dnsServerDuring, sessions));
        // Warm-up sessions included: CPU over all sessions the server handled during the runs.
        table.add(String.format(Locale.ROOT, "  %-5s server CPU per session (user+sys): ptrguard %.0f us, libmilter %.0f us",
            "", 1000.0 * ourCpu / Math.max(1, ourAll), 1000.0 * theirCpu / Math.max(1, theirAll)));
        // Each collection pauses every session in flight: the first place to look for a latency tail.
        long gcs = ptrguard.gcCollections() - gcBefore;
        double gcMillis = 1000 * (ptrguard.gcSeconds() - gcSecondsBefore);
        table.add(String.format(Locale.ROOT, "  %-5s ptrguard garbage collections: %.1f per 1000 sessions, %.3f ms paused"
            + " per 1000 sessions (%d collections, %.0f ms in all)", "", 1000.0 * gcs / Math.max(1, ourAll),
            1000.0 * gcMillis / Math.max(1, ourAll), gcs, gcMillis));
      }
      table.add(String.format(Locale.ROOT, "  server RSS after the runs: ptrguard %d MiB, libmilter %d MiB",
          ptrguard.rssKiB() / 1024, baseline.rssKiB() / 1024));
    }
  }

  private Result runOnce(String label, Options o) throws InterruptedException {
    Result r = LoadGenerator.run(o);
    log(label + " load=" + loadAverage() + " " + r.summary().stripTrailing());
    if (r.failures() > 0) {
      notes.add(label + " " + o.scenario() + " c=" + o.concurrency() + ": " + r.failures() + " failed sessions, e.g. "
          + r.firstFailures());
    }
    return r;
  }

  private void checkSameNegotiation(Result ours, Result theirs) {
    if (ours.negotiated().isEmpty() || theirs.negotiated().isEmpty()) {
      return;
    }
    var a = ours.negotiated().get();
    var b = theirs.negotiated().get();
    // ptrguard also asks for no reply to CONNECT (NR_CONN), which a libmilter milter cannot afford: it
    // has no way to acknowledge at once, and Postfix's next packet would wait 40 ms on Nagle.
    int ourProtocol = a.protocol() & ~MilterProtocol.SMFIP_NR_CONN;
    if (ourProtocol != b.protocol() || a.actions() != b.actions() || !a.macroLists().equals(b.macroLists())) {
      notes.add("negotiation differs: ptrguard protocol=0x" + Integer.toHexString(a.protocol()) + " actions=0x"
          + Integer.toHexString(a.actions()) + " macros=" + a.macroLists() + "; libmilter protocol=0x"
          + Integer.toHexString(b.protocol()) + " actions=0x" + Integer.toHexString(b.actions()) + " macros="
          + b.macroLists());
    }
  }

  private static String row(int concurrency, String server, List<Result> runs, String dnsPerSession, String ratio) {
    return String.format(Locale.ROOT, "  %-5d %-10s %10.0f %9.2f %9.2f %9.2f %8d %9s %8s", concurrency, server,
        median(runs, Result::sessionsPerSecond), median(runs, r -> r.session().p50Us()) / 1000,
        median(runs, r -> r.session().p99Us()) / 1000, median(runs, r -> r.session().p999Us()) / 1000,
        runs.stream().mapToLong(Result::failures).sum(), dnsPerSession, ratio);
  }

  static <T> double median(List<T> runs, Function<T, Double> value) {
    double[] v = runs.stream().mapToDouble(value::apply).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  // ---------------------------------------------------------------- Postfix end to end

  private void postfix(TestDnsServer dns, Path baselineBinary) throws Exception {
    int messages = intArg("postfix-messages", 2000);
    // More rounds than the milter scenarios: a Postfix run moves with the machine's load far more
    // than a milter run (up to +-20% between neighbouring runs here), and the ratio is per round.
    int rounds = intArg("postfix-rounds", 5);
    Path smtpSource = Commands.require("smtp-source", "postfix");
    // The same ptrguard also on a unix socket, as postfix-examples/ recommend: Postfix pays less per
    // milter connection there than over loopback TCP. The directory must be searchable by user postfix.
    Path socketDir = Files.createTempDirectory("ptrguard-bench-sock-");
    Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path socket = socketDir.resolve("milter.sock");
    socketDir.toFile().deleteOnExit(); // empty by then: ptrguard removes its socket when it stops
    socketDir.resolve("floor.sock").toFile().deleteOnExit(); // runs first (reverse order); libmilter may leave it
    String unixSettings = BenchMode.AUDIT.settings() + "\nlisten += \"unix:" + socket + "\"\nunix-socket.mode = \"0666\"";
    try (PtrguardServer ptrguard = PtrguardServer.start(work.resolve("ptrguard-postfix"), dns, unixSettings,
             List.of()).awaitWarm();
         BaselineServer baseline = BaselineServer.start(baselineBinary, work.resolve("baseline-postfix"),
             BenchMode.AUDIT);
         SmtpSink sink = SmtpSink.start();
         PrivatePostfix withPtrguard = withMilter("benchptrguard", sink, ptrguard.target());
         PrivatePostfix withPtrguardUnix = withMilter("benchptrguardunix", sink, "unix:" + socket);
         BaselineServer floor = BaselineServer.startFloor(baselineBinary, work.resolve("baseline-floor"));
         BaselineServer floorUnix = BaselineServer.startFloorUnix(baselineBinary, work.resolve("baseline-floor-unix"),
             socketDir.resolve("floor.sock"));
         PrivatePostfix withLibmilter = withMilter("benchlibmilter", sink, baseline.target());
         PrivatePostfix withFloor = withMilter("benchfloor", sink, floor.target());
         PrivatePostfix withFloorUnix = withMilter("benchfloorunix", sink, floorUnix.target());
         PrivatePostfix without = PrivatePostfix.builder("benchnomilter").relayTo(sink).build().start()) {
      Map<String, PrivatePostfix> instances = new LinkedHashMap<>();
      instances.put("with ptrguard", withPtrguard);
      instances.put("ptrguard, unix", withPtrguardUnix);
      instances.put("without milter", without);
      instances.put("with libmilter", withLibmilter);
      instances.put("libmilter floor", withFloor);
      instances.put("floor, unix", withFloorUnix);
      Map<String, ServerProcess> milterOf = Map.of("with ptrguard", ptrguard, "ptrguard, unix", ptrguard,
          "with libmilter", baseline, "libmilter floor", floor, "floor, unix", floorUnix);
      Map<String, List<double[]>> runs = new LinkedHashMap<>();
      instances.keySet().forEach(k -> runs.put(k, new ArrayList<>()));
      // Unmeasured warm-up: ptrguard's JIT on the milter path (the same as in the milter runs), then one
      // run per instance, because Postfix spawns its smtpd/cleanup/smtp processes on first use and the
      // Postfix-specific milter paths (e.g. Postfix closing after ACCEPT) get compiled.
      LoadGenerator.run(Options.of(ptrguard.milterAddress(), 8, Duration.ofSeconds(intArg("jit-warmup", 10)),
          Scenario.HELO));
      for (Map.Entry<String, PrivatePostfix> e : instances.entrySet()) {
        postfixRun(e.getKey() + " (warm-up)", smtpSource, e.getValue(), milterOf.get(e.getKey()), sink,
            Math.min(messages, 1000));
      }
      long dnsBefore = ptrguard.dnsLookups();
      long waitsBefore = ptrguard.metric("ptrguard_smtp_path_identity_waits_total");
      if (!ptrguard.metrics().contains("# TYPE ptrguard_smtp_path_identity_waits_total counter")) {
        notes.add("ptrguard has no ptrguard_smtp_path_identity_waits_total metric: the waits figure means nothing");
      }
      long helosBefore = ptrguard.metric("ptrguard_milter_commands_total{command=\"Helo\"}");
      // Each round starts with the next instance, so that no instance always runs first (after the
      // sink was emptied) or last (when the previous instances' idle processes are the most).
      List<String> order = new ArrayList<>(instances.keySet());
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < order.size(); i++) {
          String name = order.get((round + i) % order.size());
          runs.get(name).add(postfixRun(name, smtpSource, instances.get(name), milterOf.get(name), sink, messages));
        }
      }
      long helos = ptrguard.metric("ptrguard_milter_commands_total{command=\"Helo\"}") - helosBefore;
      long dnsDuring = ptrguard.dnsLookups() - dnsBefore;
      long waitsDuring = ptrguard.metric("ptrguard_smtp_path_identity_waits_total") - waitsBefore;
      List<double[]> baseRuns = runs.get("without milter");
      table.add("");
      table.add(String.format(Locale.ROOT, "Postfix end to end: smtp-source -s %d -m %d (1 KiB, one message per"
          + " SMTP session) -> private Postfix -> smtp-sink; %d rounds, each in a rotated order; medians:",
          intArg("postfix-sessions", 8), messages, rounds));
      table.add(String.format(Locale.ROOT, "  %-18s %9s %10s %9s %9s   %-26s %s", "", "accepted", "delivered",
          "CPU/msg", "milter", "accepted vs no milter", "delivered vs no milter"));
      table.add(String.format(Locale.ROOT, "  %-18s %9s %10s %9s %9s   %-26s %s", "", "msg/s", "msg/s", "all us",
          "us", "(median, min-max)", "(median, min-max)"));
      runs.forEach((name, list) -> table.add(String.format(Locale.ROOT, "  %-18s %9.0f %10.0f %9.0f %9s   %-26s %s",
          name, median(list, r -> r[0]), median(list, r -> r[1]), median(list, r -> r[2]),
          milterOf.containsKey(name) ? String.format(Locale.ROOT, "%.0f", median(list, r -> r[3])) : "-",
          pairedRatio(list, baseRuns, 0), pairedRatio(list, baseRuns, 1))));
      table.add("  (accepted: smtp-source's rate into Postfix; delivered: all messages of the run at the sink, i.e."
          + " end to end; CPU/msg: busy CPU time of the whole machine per message, from /proc/stat; milter:"
          + " the milter process's own CPU time per message. Ratios are taken within each round, against that"
          + " round's no-milter run.)");
      table.add(String.format(Locale.ROOT, "  ptrguard saw %d HELOs from Postfix; DNS lookups during the runs: %d"
          + " (background refreshes only); sessions that waited for DNS: %d", helos, dnsDuring, waitsDuring));
      table.add("  (libmilter floor: ACCEPT at CONNECT, no decision at all: the least any milter costs Postfix over TCP;"
          + " \"floor, unix\": the same over a unix socket; \"ptrguard, unix\": the same ptrguard attached with"
          + " smtpd_milters = unix:/path)");
      if (helos < (long) messages * rounds) {
        notes.add("ptrguard saw fewer HELOs (" + helos + ") than messages sent (" + (messages * rounds) + ")");
      }
    }
  }

  private static PrivatePostfix withMilter(String name, SmtpSink sink, String milter) throws Exception {
    return PrivatePostfix.builder(name).relayTo(sink).parameter("smtpd_milters", milter)
        .parameter("milter_default_action", "tempfail").build().start();
  }

  /**
   * "72.4% (65.0-80.1)": the median and range of this instance's rate divided by the no-milter rate of
   * the same round. Pairing by round cancels drift that a ratio of the two medians would keep.
   */
  static String pairedRatio(List<double[]> runs, List<double[]> without, int column) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < Math.min(runs.size(), without.size()); i++) {
      ratios.add(100 * runs.get(i)[column] / without.get(i)[column]);
    }
    double min = ratios.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    double max = ratios.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    return String.format(Locale.ROOT, "%.1f%% (%.1f-%.1f)", median(ratios, r -> r), min, max);
  }

  /**
   * One smtp-source run; returns {accepted per second, delivered to the sink per second, busy CPU
   * microseconds of the whole machine per message, the milter process's CPU microseconds per message}
   * (the last NaN without a milter).
   */
  private double[] postfixRun(String label, Path smtpSource, PrivatePostfix postfix, ServerProcess milter,
      SmtpSink sink, int messages) throws Exception {
    sink.clear(); // so that every file in the sink is a message of this run
    long milterCpu0 = milter == null ? 0 : milter.cpuMillis();
    long busy0 = busyMicros();
    long t0 = System.nanoTime();
    ProcessResult r = Commands.run(Duration.ofMinutes(10), List.of(smtpSource.toString(), "-s",
        Integer.toString(intArg("postfix-sessions", 8)), "-m",
        Integer.toString(messages), "-l", "1024", "-f", "sender@example.com", "-t", "rcpt@dest.example.test",
        "-M", "client.example.test", "127.0.0.1:" + postfix.smtpPort()));
    double accepted = (System.nanoTime() - t0) / 1e9;
    if (!r.ok()) {
      throw new IllegalStateException("smtp-source failed: " + r.describe());
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (sinkFiles(sink) < messages) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(label + ": only " + sinkFiles(sink) + " of " + messages
            + " messages reached the sink; queue: " + postfix.queueCount());
      }
      Thread.sleep(20);
    }
    double delivered = (System.nanoTime() - t0) / 1e9;
    double busyPerMessage = (double) (busyMicros() - busy0) / messages;
    double milterPerMessage = milter == null ? Double.NaN : 1000.0 * (milter.cpuMillis() - milterCpu0) / messages;
    double[] out = {messages / accepted, messages / delivered, busyPerMessage, milterPerMessage};
    log(String.format(Locale.ROOT, "postfix %s load=%s accepted=%.0f/s delivered=%.0f/s cpu_per_msg=%.0fus"
        + " milter_cpu_per_msg=%.0fus", label, loadAverage(), out[0], out[1], out[2], out[3]));
    return out;
  }

  /** Busy CPU time of the whole machine so far (all CPUs; /proc/stat minus idle and iowait), in microseconds. */
  static long busyMicros() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    // cpu user nice system idle iowait irq softirq steal (guest time is already inside user)
    for (int i = 1; i <= 8 && i < f.length; i++) {
      if (i != 4 && i != 5) {
        busy += Long.parseLong(f[i]);
      }
    }
    return busy * 10_000; // USER_HZ is 100 on Linux
  }

  private static long sinkFiles(SmtpSink sink) throws IOException {
    try (Stream<Path> files = Files.list(sink.directory())) {
      return files.count();
    }
  }

  // ---------------------------------------------------------------- memory and start-up

  private void memoryAndStartup(TestDnsServer dns, Path baselineBinary) throws Exception {
    int connections = intArg("connections", 1000);
    List<Double> startups = new ArrayList<>();
    List<Double> idleAfter3s = new ArrayList<>();
    List<Double> idleAfter10s = new ArrayList<>();
    List<Double> idle = new ArrayList<>();
    List<Double> loaded = new ArrayList<>();
    List<Double> baselineIdle = new ArrayList<>();
    List<Double> baselineLoaded = new ArrayList<>();
    int rounds = intArg("rounds", 3);
    for (int round = 0; round < rounds; round++) {
      try (PtrguardServer p = PtrguardServer.start(work.resolve("ptrguard-mem-" + round), dns, "mode = audit",
          List.of())) {
        startups.add(p.startup().toNanos() / 1e6);
        p.awaitWarm();
        // A few sessions first, so "idle" is a daemon that has served mail, not a cold one.
        LoadGenerator.run(Options.of(p.milterAddress(), 4, Duration.ofSeconds(1), Scenario.MESSAGE));
        // Idle means settled: the JVM hands compiler memory back every 5 s and the launcher trims the
        // native heap every 2 s, so the figure is taken after 30 s without mail; the 3 s and 10 s
        // samples are printed too, to show the way down.
        Thread.sleep(3000);
        idleAfter3s.add(p.rssKiB() / 1024.0);
        Thread.sleep(7000);
        idleAfter10s.add(p.rssKiB() / 1024.0);
        Thread.sleep(20000);
        idle.add(p.rssKiB() / 1024.0);
        loaded.add(OpenSessions.hold(p, connections) / 1024.0);
      }
      try (BaselineServer b = BaselineServer.start(baselineBinary, work.resolve("baseline-mem-" + round), BenchMode.AUDIT)) {
        Thread.sleep(500);
        baselineIdle.add(b.rssKiB() / 1024.0);
        baselineLoaded.add(OpenSessions.hold(b, connections) / 1024.0);
      }
    }
    table.add("");
    table.add("Memory (RSS, MiB) and start-up; ptrguard with the JVM flags of packaging/bin/ptrguard: "
        + String.join(" ", Launcher.jvmFlags(work)));
    table.add(String.format(Locale.ROOT, "  %-10s %10s %22s %26s", "server", "idle", connections + " open sessions",
        "start to listening (ms)"));
    table.add(String.format(Locale.ROOT, "  %-10s %10.1f %22.1f %26.0f   (runs: idle %s, loaded %s, start %s)",
        "ptrguard", median(idle, d -> d), median(loaded, d -> d), median(startups, d -> d), idle, loaded,
        startups));
    table.add(String.format(Locale.ROOT, "  %-10s %10.1f %22.1f %26s", "libmilter", median(baselineIdle, d -> d),
        median(baselineLoaded, d -> d), "-"));
    table.add(String.format(Locale.ROOT, "  ptrguard idle is RSS 30 s after its last session; medians after 3 s: %.1f,"
        + " after 10 s: %.1f   (runs: 3 s %s, 10 s %s)", median(idleAfter3s, d -> d), median(idleAfter10s, d -> d),
        idleAfter3s, idleAfter10s));
  }

  // ---------------------------------------------------------------- helpers

  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + "/" + f[1] + "/" + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  public static String machine() {
    String cpu = "?";
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim())
          .orElse("?");
    } catch (IOException ignored) {
      // informational only
    }
    return String.format(Locale.ROOT, "machine: %d cpus (%s), java %s, load average %s", Runtime.getRuntime()
        .availableProcessors(), cpu, System.getProperty("java.version"), loadAverage());
  }

  private static void log(String line) {
    System.out.println("[" + Instant.now() + "] " + line);
    System.out.flush();
  }
}
