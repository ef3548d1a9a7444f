package org.ptrguard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.ptrguard.milter.MacroStage;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.milter.MilterProtocol;
import org.ptrguard.testing.MilterTestClient.Negotiated;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/**
 * A milter load generator that plays Postfix: N worker threads, each running one milter session
 * after another for a bounded time. A session is OPTNEG, macros, CONNECT, HELO and, in the
 * {@link Scenario#MESSAGE} scenario, several messages (MAIL, RCPT x3, DATA, 20 headers, EOH, 10 KiB of
 * body in chunks, EOB, ABORT) before QUIT. Like Postfix, it honours negotiation: events the milter
 * negotiated away are not sent, macros are sent for the stages the milter asked for, and an ACCEPT
 * at HELO ends the milter's part in the session (only QUIT follows).
 *
 * <p>Reports completed sessions per second and p50/p99/p99.9 latency per command and per session.
 * Any exception or unexpected reply fails the session; failures are counted, never retried.
 */
public final class LoadGenerator {
  public enum Scenario { HELO, MESSAGE }

  public record Options(SocketAddress target, int concurrency, Duration warmup, Duration duration,
      Scenario scenario, int messagesPerSession, long maxSessions, Duration replyTimeout, Duration stageGap) {
    public Options {
      if (concurrency < 1 || messagesPerSession < 1) {
        throw new IllegalArgumentException("concurrency and messages per session must be at least 1");
      }
    }

    public static Options of(SocketAddress target, int concurrency, Duration duration, Scenario scenario) {
      return new Options(target, concurrency, Duration.ZERO, duration, scenario, 3, Long.MAX_VALUE,
          Duration.ofSeconds(10), Duration.ZERO);
    }

    public Options withWarmup(Duration value) {
      return new Options(target, concurrency, value, duration, scenario, messagesPerSession, maxSessions, replyTimeout, stageGap);
    }

    /** Stops after this many measured sessions (or at the end of the duration, whichever comes first). */
    public Options withMaxSessions(long value) {
      return new Options(target, concurrency, warmup, duration, scenario, messagesPerSession, value, replyTimeout, stageGap);
    }

    /**
     * Pauses this long after CONNECT and after HELO's reply, as Postfix does while it waits for the SMTP
     * client: each event then reaches the milter on its own instead of with the next one.
     */
    public Options withStageGap(Duration value) {
      return new Options(target, concurrency, warmup, duration, scenario, messagesPerSession, maxSessions,
          replyTimeout, value);
    }

    public Options withMessagesPerSession(int value) {
      return new Options(target, concurrency, warmup, duration, scenario, value, maxSessions, replyTimeout, stageGap);
    }
  }

  /** Percentiles of one command (or of whole sessions), in microseconds. */
  public record Latency(long count, double p50Us, double p99Us, double p999Us, double maxUs) {
    static Latency of(LatencyHistogram h) {
      return new Latency(h.count(), h.percentileNanos(0.50) / 1e3, h.percentileNanos(0.99) / 1e3,
          h.percentileNanos(0.999) / 1e3, h.maxNanos() / 1e3);
    }
  }

  public record Result(Scenario scenario, int concurrency, long sessions, long messages, long failures,
      double seconds, Latency session, Map<String, Latency> commands, Map<String, Long> replies,
      List<String> firstFailures, Optional<Negotiated> negotiated) {
    public double sessionsPerSecond() {
      return seconds > 0 ? sessions / seconds : 0;
    }

    public String summary() {
      StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
          "scenario=%s concurrency=%d sessions=%d messages=%d failures=%d seconds=%.2f sessions_per_s=%.1f%n",
          scenario.name().toLowerCase(Locale.ROOT), concurrency, sessions, messages, failures, seconds,
          sessionsPerSecond()));
      out.append(String.format(Locale.ROOT, "  %-8s %9s %10s %10s %10s %10s%n", "command", "count", "p50_us",
          "p99_us", "p99.9_us", "max_us"));
      Map<String, Latency> all = new LinkedHashMap<>(commands);
      all.put("session", session);
      all.forEach((name, l) -> out.append(String.format(Locale.ROOT, "  %-8s %9d %10.1f %10.1f %10.1f %10.1f%n",
          name, l.count(), l.p50Us(), l.p99Us(), l.p999Us(), l.maxUs())));
      out.append("  replies ").append(replies).append('\n');
      negotiated.ifPresent(n -> out.append(String.format(Locale.ROOT,
          "  negotiated version=%d actions=0x%x protocol=0x%x macros=%s%n", n.version(), n.actions(), n.protocol(),
          n.macroLists())));
      firstFailures.forEach(f -> out.append("  failure ").append(f).append('\n'));
      return out.toString();
    }
  }

  static final List<String> COMMANDS = List.of("connect", "optneg", "conninfo", "helo", "mail", "rcpt", "data",
      "header", "eoh", "body", "eom");
  private static final int BODY_BYTES = 10 * 1024;
  private static final int BODY_CHUNK = 4096;
  private static final byte[] BODY = body();

  private LoadGenerator() {}

  public static Result run(Options options) throws InterruptedException {
    return run(options, () -> false);
  }

  /** As {@link #run(Options)}, but workers also stop (after their current session) once {@code stop} says so. */
  public static Result run(Options options, BooleanSupplier stop) throws InterruptedException {
    long start = System.nanoTime();
    long measureFrom = start + options.warmup().toNanos();
    long end = measureFrom + options.duration().toNanos();
    AtomicLong budget = new AtomicLong(options.maxSessions());
    List<Worker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < options.concurrency(); i++) {
      Worker w = new Worker(options, i, measureFrom, end, budget, stop);
      workers.add(w);
      Thread t = new Thread(w, "loadgen-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long stoppedAt = workers.stream().mapToLong(w -> w.lastFinish).max().orElse(System.nanoTime());
    return merge(options, workers, Math.max(0, stoppedAt - measureFrom) / 1e9);
  }

  private static Result merge(Options options, List<Worker> workers, double seconds) {
    LatencyHistogram session = new LatencyHistogram();
    Map<String, LatencyHistogram> commands = new LinkedHashMap<>();
    Map<String, Long> replies = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long sessions = 0;
    long messages = 0;
    long failed = 0;
    Optional<Negotiated> negotiated = Optional.empty();
    for (Worker w : workers) {
      session.add(w.session);
      for (String c : COMMANDS) {
        if (w.commands.get(c).count() > 0) {
          commands.computeIfAbsent(c, k -> new LatencyHistogram()).add(w.commands.get(c));
        }
      }
      w.replies.forEach((k, v) -> replies.merge(k, v, Long::sum));
      sessions += w.sessions;
      messages += w.messages;
      failed += w.failures;
      failures.addAll(w.failureTexts);
      if (negotiated.isEmpty()) {
        negotiated = Optional.ofNullable(w.negotiated);
      }
    }
    Map<String, Latency> latencies = new LinkedHashMap<>();
    commands.forEach((k, v) -> latencies.put(k, Latency.of(v)));
    return new Result(options.scenario(), options.concurrency(), sessions, messages, failed, seconds,
        Latency.of(session), Collections.unmodifiableMap(latencies), replies,
        List.copyOf(failures.subList(0, Math.min(10, failures.size()))), negotiated);
  }

  /** One simulated smtpd process: sessions back to back on its own connections. */
  private static final class Worker implements Runnable {
    final Options options;
    final int id;
    final long measureFrom;
    final long end;
    final AtomicLong budget;
    final BooleanSupplier stop;
    final LatencyHistogram session = new LatencyHistogram();
    final Map<String, LatencyHistogram> commands = new LinkedHashMap<>();
    final Map<String, Long> replies = new TreeMap<>();
    final List<String> failureTexts = new ArrayList<>();
    long sessions;
    long messages;
    long failures;
    long lastFinish;
    Negotiated negotiated;
    private boolean measuring;
    private long counter;

    Worker(Options options, int id, long measureFrom, long end, AtomicLong budget, BooleanSupplier stop) {
      this.options = options;
      this.stop = stop;
      this.id = id;
      this.measureFrom = measureFrom;
      this.end = end;
      this.budget = budget;
      COMMANDS.forEach(c -> commands.put(c, new LatencyHistogram()));
    }

    @Override
    public void run() {
      while (true) {
        long now = System.nanoTime();
        if (now >= end || stop.getAsBoolean()) {
          return;
        }
        measuring = now >= measureFrom;
        if (measuring && budget.getAndDecrement() <= 0) {
          return;
        }
        long t0 = System.nanoTime();
        try {
          int done = oneSession();
          if (measuring) {
            session.record(System.nanoTime() - t0);
            sessions++;
            messages += done;
          }
        } catch (IOException | RuntimeException e) {
          if (measuring) {
            failures++;
            if (failureTexts.size() < 10) {
              failureTexts.add("worker=" + id + " " + e);
            }
          }
        }
        lastFinish = System.nanoTime();
      }
    }

    private void pause() {
      if (!options.stageGap().isZero()) {
        java.util.concurrent.locks.LockSupport.parkNanos(options.stageGap().toNanos());
      }
    }

    /** Runs one session; returns the number of messages sent through the milter. */
    private int oneSession() throws IOException {
      long t = System.nanoTime();
      try (MilterTestClient c = MilterTestClient.connect(options.target())) {
        c.timeout(options.replyTimeout()).nagleLikePostfix();
        t = timed("connect", t);
        Negotiated n = c.negotiate();
        negotiated = n;
        t = timed("optneg", t);
        String qid = Long.toHexString(((long) id << 40) | counter++).toUpperCase(Locale.ROOT);
        macros(c, n, MacroStage.CONNECT, qid);
        Optional<Reply> r = c.connect("client.example.test", '4', 40000 + id, "127.0.0.1");
        t = timed("conninfo", t);
        if (expect("connect", r, "ac")) {
          return 0;
        }
        pause();
        macros(c, n, MacroStage.HELO, qid);
        r = c.helo("client.example.test");
        t = timed("helo", t);
        if (expect("helo", r, "ac") || options.scenario() == Scenario.HELO) {
          pause();
          c.quit();
          return 0;
        }
        int sent = 0;
        for (int m = 0; m < options.messagesPerSession(); m++) {
          if (message(c, n, qid + "M" + m)) {
            sent++;
          }
          c.abort();
        }
        c.quit();
        return sent;
      }
    }

    /** One message; true if it went through to end of message. */
    private boolean message(MilterTestClient c, Negotiated n, String qid) throws IOException {
      long t = System.nanoTime();
      macros(c, n, MacroStage.MAIL, qid);
      Optional<Reply> r = c.mail("<sender@example.com>", "SIZE=" + BODY_BYTES);
      t = timed("mail", t);
      if (expect("mail", r, "ac")) {
        return false;
      }
      for (int i = 0; i < 3; i++) {
        macros(c, n, MacroStage.RCPT, qid);
        t = replied("rcpt", c.rcpt("<rcpt" + i + "@dest.example.test>"), t);
      }
      macros(c, n, MacroStage.DATA, qid);
      t = replied("data", c.data(), t);
      for (int i = 0; i < 20; i++) {
        t = replied("header", c.header(HEADER_NAMES[i % HEADER_NAMES.length], "value " + i + " of " + qid), t);
      }
      macros(c, n, MacroStage.END_OF_HEADERS, qid);
      t = replied("eoh", c.endOfHeaders(), t);
      for (int off = 0; off < BODY.length; off += BODY_CHUNK) {
        t = replied("body", c.body(Arrays.copyOfRange(BODY, off, Math.min(BODY.length, off + BODY_CHUNK))), t);
      }
      macros(c, n, MacroStage.END_OF_MESSAGE, qid);
      MilterTestClient.EndOfMessage eom = c.endOfMessage();
      timed("eom", t);
      count("eom", eom.finalReply().code());
      eom.modifications().forEach(mod -> count("eom-mod", mod.code()));
      if ("ac".indexOf(eom.finalReply().code()) < 0) {
        throw new IOException("unexpected end-of-message reply " + eom.finalReply());
      }
      return true;
    }

    private static final String[] HEADER_NAMES = {"Received", "From", "To", "Cc", "Subject", "Date", "Message-ID",
        "MIME-Version", "Content-Type", "X-Mailer"};

    /**
     * Counts the reply and checks it is one of {@code allowed} (continue/accept) or a legal final answer
     * (reject, tempfail, reply code, discard); returns true if the milter is done with the session.
     */
    private boolean expect(String stage, Optional<Reply> reply, String allowed) throws IOException {
      if (reply.isEmpty()) {
        // Sent without a reply (NR_* negotiated) counts as "-"; negotiated away counts nothing.
        MilterEvent event = MilterEvent.valueOf(stage.toUpperCase(Locale.ROOT));
        if (negotiated != null && negotiated.sent(event)) {
          count(stage, '-');
        }
        return false;
      }
      char code = reply.get().code();
      count(stage, code);
      if (code == MilterProtocol.SMFIR_CONTINUE) {
        return false;
      }
      if (allowed.indexOf(code) >= 0 || "rtyd".indexOf(code) >= 0) {
        return true;
      }
      throw new IOException("unexpected " + stage + " reply " + reply.get());
    }

    /**
     * Checks a mid-message reply is CONTINUE and times it; an event negotiated away (not sent) or
     * without reply (NR_*) is not timed, so the table shows only real round trips.
     */
    private long replied(String stage, Optional<Reply> reply, long since) throws IOException {
      if (reply.isEmpty()) {
        return since;
      }
      count(stage, reply.get().code());
      if (reply.get().code() != MilterProtocol.SMFIR_CONTINUE) {
        throw new IOException("unexpected " + stage + " reply " + reply.get());
      }
      return timed(stage, since);
    }

    private void count(String stage, char code) {
      if (measuring) {
        replies.merge(stage + ":" + code, 1L, Long::sum);
      }
    }

    private long timed(String command, long since) {
      long now = System.nanoTime();
      if (measuring) {
        commands.get(command).record(now - since);
      }
      return now;
    }
  }

  /** Sends a MACRO frame for a stage the milter asked macros for (as Postfix does), with plausible values. */
  private static void macros(MilterTestClient c, Negotiated n, MacroStage stage, String qid) throws IOException {
    String names = n.macroLists().get(stage.id());
    if (names == null || names.isBlank()) {
      return;
    }
    List<String> pairs = new ArrayList<>();
    for (String name : names.trim().split(" +")) {
      pairs.add(name);
      pairs.add(macroValue(name, qid));
    }
    c.macro(stage.command(), pairs.toArray(String[]::new));
  }

  private static String macroValue(String name, String qid) {
    return switch (name) {
      case "j" -> "mta.example.com";
      case "{daemon_name}" -> "smtpd";
      case "{daemon_addr}" -> "127.0.0.1";
      case "{client_addr}" -> "127.0.0.1";
      case "{client_name}", "{client_ptr}" -> "localhost";
      case "{client_resolve}" -> "OK";
      case "i" -> qid;
      case "{auth_authen}" -> "alice";
      // what Postfix passes at RCPT for MX delivery by the default transport
      case "{rcpt_mailer}" -> "smtp";
      case "{rcpt_host}" -> "dest.example.test";
      default -> "";
    };
  }

  private static byte[] body() {
    StringBuilder b = new StringBuilder();
    int line = 0;
    while (b.length() < BODY_BYTES) {
      b.append("Line ").append(line++).append(" of the benchmark body, long enough to look like prose.\r\n");
    }
    return b.substring(0, BODY_BYTES).getBytes(StandardCharsets.US_ASCII);
  }

  /** "inet:HOST:PORT" or "unix:/path". */
  public static SocketAddress parseTarget(String spec) {
    if (spec.startsWith("unix:")) {
      return UnixDomainSocketAddress.of(spec.substring(5));
    }
    String rest = spec.startsWith("inet:") ? spec.substring(5) : spec;
    int colon = rest.lastIndexOf(':');
    return new InetSocketAddress(rest.substring(0, colon).replace("[", "").replace("]", ""),
        Integer.parseInt(rest.substring(colon + 1)));
  }

  /**
   * Command line: {@code --target inet:127.0.0.1:8894 [--concurrency 8] [--seconds 10] [--warmup 2]
   * [--scenario helo|message] [--messages 3] [--max-sessions N]}.
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    if (!a.containsKey("target")) {
      System.err.println("usage: LoadGenerator --target inet:HOST:PORT|unix:/path [--concurrency 8] [--seconds 10]"
          + " [--warmup 2] [--scenario helo|message] [--messages 3] [--max-sessions N] [--stage-gap-ms 0]");
      System.exit(64);
    }
    Options o = Options.of(parseTarget(a.get("target")), Integer.parseInt(a.getOrDefault("concurrency", "8")),
            Duration.ofMillis((long) (Double.parseDouble(a.getOrDefault("seconds", "10")) * 1000)),
            Scenario.valueOf(a.getOrDefault("scenario", "helo").toUpperCase(Locale.ROOT)))
        .withWarmup(Duration.ofMillis((long) (Double.parseDouble(a.getOrDefault("warmup", "2")) * 1000)))
        .withMessagesPerSession(Integer.parseInt(a.getOrDefault("messages", "3")))
        .withMaxSessions(Long.parseLong(a.getOrDefault("max-sessions", Long.toString(Long.MAX_VALUE))))
        .withStageGap(Duration.ofNanos((long) (Double.parseDouble(a.getOrDefault("stage-gap-ms", "0")) * 1e6)));
    Result r = run(o);
    System.out.print(r.summary());
    System.exit(r.failures() == 0 ? 0 : 1);
  }
}
