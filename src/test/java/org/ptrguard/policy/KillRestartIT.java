package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.JournalStream;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.SmtpReply;
import org.ptrguard.testing.SmtpSink;
import org.ptrguard.testing.SmtpTestClient;
import org.ptrguard.testing.TestDnsServer;

/**
 * {@code kill -9} of the packaged jar while a private Postfix sends mail through it, then a restart.
 * Records what SMTP clients get in the gap with {@code milter_default_action = tempfail} and
 * {@code = accept}, that no accepted message is lost, and how long ptrguard takes to serve again.
 */
class KillRestartIT {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final String POSTFIX_TEMPFAIL = "451 4.7.1 Service unavailable - try again later";
  static final int LOAD_THREADS = 2;

  static TestDnsServer dns;
  static SmtpSink sink;
  static PrivatePostfix postfix;
  static Path dir;
  static Path conf;
  static int milterPort;
  static Process ptrguard;
  static Path log;

  /** One SMTP transaction through Postfix as the load generator saw it. */
  record Outcome(String phase, SmtpReply mail, SmtpReply data) {}

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("ptrguard-kill-it");
    conf = dir.resolve("ptrguard.conf");
    dns = TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("isp.example.net", "isp.example.net.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    milterPort = FreePorts.next();
    Files.writeString(conf, """
        mode = enforce
        on-dns-error = tempfail
        listen = ["inet:127.0.0.1:%d"]
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 2s, check-budget = 5s }
        """.formatted(milterPort, dns.address().getPort()));
    sink = SmtpSink.start();
    postfix = PrivatePostfix.builder("killtest").relayTo(sink)
        .parameter("smtpd_milters", "inet:127.0.0.1:" + milterPort)
        .parameter("milter_default_action", "tempfail")
        .build().start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (ptrguard != null && ptrguard.isAlive()) {
      ptrguard.destroy();
      ptrguard.waitFor(20, TimeUnit.SECONDS);
    }
    if (postfix != null) {
      postfix.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  /** Starts the jar; returns ms from process start to "event=listening" and to "event=ready". */
  static long[] startPtrguard(String logName) throws Exception {
    log = dir.resolve(logName);
    ProcessBuilder pb = PtrguardProcess.builder(JournalStream.ptrguard("serve", "--config", conf.toString()));
    pb.environment().remove("PTRGUARD_MODE");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    long t0 = System.nanoTime();
    ptrguard = pb.start();
    long listening = awaitLog("event=listening", t0);
    long ready = awaitLog("event=ready", t0);
    return new long[] {listening, ready};
  }

  static String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  static long awaitLog(String needle, long t0) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!logText().contains(needle)) {
      assertThat(ptrguard.isAlive()).as("ptrguard died:\n" + logText()).isTrue();
      assertThat(System.nanoTime()).as("no '" + needle + "' in the log:\n" + logText()).isLessThan(deadline);
      Thread.sleep(5);
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  static Outcome transaction(String phase, int n) throws IOException {
    try (SmtpTestClient c = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      c.greeting();
      SmtpReply ehlo = c.ehlo("client.example.test");
      if (ehlo.code() != 250) {
        throw new IOException("EHLO answered " + ehlo.line() + " in phase " + phase);
      }
      SmtpReply mail = c.mail("load@example.com");
      SmtpReply data = null;
      if (mail.code() == 250) {
        c.rcpt("rcpt@dest.example.test");
        data = c.data("Subject: load-" + n + "\nFrom: load@example.com\n\nphase " + phase + "\n");
      }
      c.quit();
      return new Outcome(phase, mail, data);
    }
  }

  /** Sends transactions through Postfix from a few threads until stopped, tagging each with the phase. */
  static final class Load implements AutoCloseable {
    volatile String phase = "up";
    final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger numbers = new AtomicInteger();
    final List<Thread> threads = new ArrayList<>();

    Load() {
      for (int i = 0; i < LOAD_THREADS; i++) {
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            try {
              // A transaction that spans a phase change belongs to neither phase.
              String before = phase;
              Outcome o = transaction(before, numbers.incrementAndGet());
              String after = phase;
              outcomes.add(before.equals(after) ? o : new Outcome(before + "->" + after, o.mail(), o.data()));
              Thread.sleep(20); // a small steady load, not a flood: the machine is shared
            } catch (IOException | RuntimeException e) {
              errors.add(e);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "smtp-load-" + i);
        t.start();
        threads.add(t);
      }
    }

    List<Outcome> in(String p) {
      synchronized (outcomes) {
        return outcomes.stream().filter(o -> o.phase().equals(p)).toList();
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(TIMEOUT.toMillis());
      }
    }
  }

  /** Lets the load run in a phase until it completed {@code n} transactions there (machine speed varies). */
  static void awaitOutcomes(Load load, String phase, int n) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (load.in(phase).size() < n) {
      assertThat(System.nanoTime()).as("fewer than " + n + " transactions in phase " + phase).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  static void awaitMailReply(int code) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (transaction("probe", 0).mail().code() != code) {
      assertThat(System.nanoTime()).as("Postfix never answered MAIL with " + code).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  void killNineUnderLoadThenRestart() throws Exception {
    long[] firstStart = startPtrguard("ptrguard-1.log");
    Map<String, Long> numbers = new TreeMap<>();
    numbers.put("first-start-listening-ms", firstStart[0]);
    numbers.put("first-start-ready-ms", firstStart[1]);
    Load load = new Load();
    try {
      awaitOutcomes(load, "up", 5);
      int decisionsBeforeKill = count(logText(), "event=decision");

      // kill -9: no shutdown hook, no goodbye to Postfix.
      load.phase = "killing";
      ptrguard.destroyForcibly();
      assertThat(ptrguard.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(ptrguard.exitValue()).isEqualTo(128 + 9);
      awaitMailReply(451);
      load.phase = "down-tempfail";
      awaitOutcomes(load, "down-tempfail", 20);

      load.phase = "switching";
      postfix.setParameter("milter_default_action", "accept");
      postfix.reload();
      awaitMailReply(250);
      load.phase = "down-accept";
      awaitOutcomes(load, "down-accept", 20);

      load.phase = "switching-back";
      postfix.setParameter("milter_default_action", "tempfail");
      postfix.reload();
      awaitMailReply(451);
      load.phase = "restarting";
      long restartedAt = System.nanoTime();
      long[] restart = startPtrguard("ptrguard-2.log");
      numbers.put("restart-listening-ms", restart[0]);
      numbers.put("restart-ready-ms", restart[1]);
      awaitMailReply(250);
      numbers.put("restart-to-first-guarded-250-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt));
      // Start-up is JVM start plus binding: seconds, not the minutes Postfix would keep deferring for.
      assertThat(restart[0]).as("ms from process start to listening").isLessThan(10_000);
      load.phase = "up-again";
      awaitOutcomes(load, "up-again", 10);
      load.phase = "done";
      assertThat(decisionsBeforeKill).isPositive();
    } finally {
      load.close();
    }

    assertThat(load.errors).as("SMTP sessions through Postfix never broke").isEmpty();
    List<Outcome> up = load.in("up");
    List<Outcome> tempfail = load.in("down-tempfail");
    List<Outcome> accept = load.in("down-accept");
    List<Outcome> restarting = load.in("restarting");
    List<Outcome> upAgain = load.in("up-again");
    numbers.put("sessions-up", (long) up.size());
    numbers.put("sessions-down-tempfail", (long) tempfail.size());
    numbers.put("sessions-down-accept", (long) accept.size());
    numbers.put("sessions-restarting", (long) restarting.size());
    numbers.put("sessions-up-again", (long) upAgain.size());
    System.out.println("kill-restart " + numbers);
    synchronized (load.outcomes) {
      Map<String, Long> replies = new TreeMap<>();
      load.outcomes.forEach(o -> replies.merge(o.phase() + ": " + o.mail().line(), 1L, Long::sum));
      replies.forEach((k, v) -> System.out.println("kill-restart reply " + k + " x" + v));
    }

    assertThat(up).isNotEmpty().allSatisfy(o -> assertThat(o.data().code()).isEqualTo(250));
    // The gap with milter_default_action = tempfail: Postfix's own words, at MAIL FROM, nothing queued.
    assertThat(tempfail).isNotEmpty().allSatisfy(o -> {
      assertThat(o.mail().line()).isEqualTo(POSTFIX_TEMPFAIL);
      assertThat(o.data()).isNull();
    });
    // ... with accept: mail flows unguarded.
    assertThat(accept).isNotEmpty().allSatisfy(o -> assertThat(o.data().code()).isEqualTo(250));
    // While ptrguard starts: either Postfix's tempfail (not listening yet) or a normal pass; never a 5xx.
    assertThat(restarting).isNotEmpty().allSatisfy(o -> assertThat(o.mail().line()).matches("250 .*|" + POSTFIX_TEMPFAIL));
    assertThat(upAgain).isNotEmpty().allSatisfy(o -> assertThat(o.data().code()).isEqualTo(250));
    // Guarded again: the restarted process decides for the sessions after the restart.
    assertThat(count(logText(), "event=decision mode=enforce action=accept")).isGreaterThanOrEqualTo(upAgain.size());
    // Nothing that Postfix accepted was lost.
    long accepted;
    synchronized (load.outcomes) {
      accepted = load.outcomes.stream().filter(o -> o.data() != null && o.data().code() == 250).count();
    }
    assertThat(sink.awaitMessages((int) accepted, TIMEOUT)).hasSizeGreaterThanOrEqualTo((int) accepted);
    // What the admin finds in the mail log for the gap.
    List<String> milterLines = postfix.maillog().lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("milter"))
        .map(l -> l.replaceAll("^.*?postfix-killtest[^:]*: ", "").replaceAll("\\[\\d+\\]", "[N]")
            .replaceAll("[0-9A-F]{10,}", "QUEUEID").replaceAll(":\\d{4,5}", ":PORT"))
        .distinct().toList();
    milterLines.forEach(l -> System.out.println("kill-restart maillog " + l));
    assertThat(milterLines).anySatisfy(l -> assertThat(l).containsIgnoringCase("milter service inet:127.0.0.1:PORT"));
  }

  static int count(String text, String needle) {
    return (int) text.lines().filter(l -> l.contains(needle)).count();
  }
}
