package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.bench.PtrguardServer;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;
import org.ptrguard.testing.TestDnsServer;

/**
 * SIGHUP storms against the packaged daemon while sessions run, with the file rewritten in place
 * (truncate, half, pause, rest) between signals. Two configurations that differ in mode and in
 * identity, so a reply tells which one built it, and a reply built from parts of both (or from the
 * all-defaults configuration an empty read would give) is visible:
 * <ul>
 *   <li>A: audit with header, identity 192.0.2.10 / mail.example.com (pass): HELO continue, header "pass ... ip=192.0.2.10"
 *   <li>B: enforce, identity 192.0.2.12 / nohost.example.com (fail): HELO 451
 * </ul>
 */
class ReloadStormIT {
  static final String A = """
      mode = audit
      audit.add-header = true
      identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
      """;
  static final String B = """
      mode = enforce
      identities = [ { name = default, ip = ["192.0.2.12"], ehlo = nohost.example.com } ]
      """;
  static final int TRIALS = 8;
  static final int REWRITES = 20;

  @Test
  void everyStormEndsRunningTheLastFileAndNoReplyMixesTwoConfigurations(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, A, List.of()).awaitWarm()) {
      Map<String, AtomicLong> kinds = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService clients = Executors.newFixedThreadPool(3);
      for (int i = 0; i < 3; i++) {
        clients.execute(() -> {
          while (!stop.get()) {
            kinds.computeIfAbsent(session(ptrguard.milterAddress()), k -> new AtomicLong()).incrementAndGet();
          }
        });
      }
      int endedWrong = 0;
      StringBuilder trials = new StringBuilder();
      for (int trial = 0; trial < TRIALS; trial++) {
        for (int i = 0; i < REWRITES; i++) {
          ptrguard.rewriteInPlace(i % 2 == 0 ? A : B, Duration.ofMillis(3));
          ptrguard.signal("HUP");
        }
        String settled = settle(ptrguard);
        trials.append(trial).append('=').append(settled).append(' ');
        if (!settled.equals("B")) {
          endedWrong++;
        }
        ptrguard.rewriteInPlace(A, Duration.ZERO); // every trial starts from A
        ptrguard.signal("HUP");
        settle(ptrguard);
      }
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      System.out.println("reload-storm trials: " + trials + " sessions by kind: " + kinds);
      assertThat(endedWrong).as("trials that did not end running B: " + trials).isZero();
      assertThat(kinds.keySet()).as("reply kinds seen: " + kinds).contains("A", "B")
          .allSatisfy(k -> assertThat(k).isIn("A", "B"));
      assertThat(ptrguard.log()).doesNotContain("Exception");
    }
  }

  /** A's identity under both modes: a reload that leaves the identity alone must keep its verdict warm. */
  static final String A_ENFORCE = A.replace("mode = audit", "mode = enforce");

  @Test
  void twoHundredReloadsThatKeepTheIdentityMakeNoSessionWait(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work)
      throws Exception {
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, A, List.of()).awaitWarm()) {
      String waits = "ptrguard_smtp_path_identity_waits_total";
      long before = ptrguard.metric(waits);
      Map<String, AtomicLong> kinds = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService clients = Executors.newFixedThreadPool(2);
      for (int i = 0; i < 2; i++) {
        clients.execute(() -> {
          while (!stop.get()) {
            kinds.computeIfAbsent(session(ptrguard.milterAddress()), k -> new AtomicLong()).incrementAndGet();
          }
        });
      }
      for (int i = 1; i <= 200; i++) {
        ptrguard.reload(i % 2 == 0 ? A : A_ENFORCE);
      }
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      long after = ptrguard.metric(waits);
      System.out.println("warm-reloads: 200 reloads, sessions " + kinds + ", " + waits + " " + before + " -> " + after);
      assertThat(kinds.values().stream().mapToLong(AtomicLong::get).sum()).as("sessions ran meanwhile").isGreaterThan(200);
      assertThat(after - before).as("sessions that waited for an identity check").isZero();
    }
  }

  /** Waits until sessions see the same configuration twice, 1 s apart; returns it. */
  private static String settle(PtrguardServer ptrguard) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      String now = session(ptrguard.milterAddress());
      if (now.equals(last) && !now.equals("io")) {
        return now;
      }
      last = now;
    }
    return "unsettled(" + last + ")";
  }

  /** One session; "A" or "B" for a reply one configuration explains, else what was seen. */
  static String session(InetSocketAddress milter) {
    try (MilterTestClient c = MilterTestClient.connect(milter).timeout(Duration.ofSeconds(15))) {
      c.negotiate();
      c.macro('C', "j", "mx.example.org", "{daemon_name}", "smtpd");
      c.connect("client.example.org", '4', 40000, "198.51.100.7");
      c.macro('H');
      Optional<Reply> helo = c.helo("client.example.org");
      if (helo.isEmpty()) {
        return "helo:none";
      }
      Reply r = helo.get();
      if (r.code() == 'y') {
        return r.text().startsWith("451") && r.text().contains("192.0.2.12") ? "B" : "helo:y:" + r.text();
      }
      if (r.code() != 'c') {
        return "helo:" + r.code();
      }
      Optional<Reply> mail = c.mail("<sender@example.com>");
      if (mail.isPresent() && mail.get().code() == 'y') {
        return mail.get().text().startsWith("451") && mail.get().text().contains("192.0.2.12") ? "B"
            : "mail:y:" + mail.get().text();
      }
      if (mail.isPresent() && mail.get().code() != 'c') {
        return "mail:" + mail.get().code();
      }
      MilterTestClient.EndOfMessage eom = c.endOfMessage();
      String header = eom.modifications().stream().map(m -> new String(m.payload(), StandardCharsets.US_ASCII))
          .filter(h -> h.startsWith("X-PTRGuard")).findFirst().orElse("no-header");
      c.quit();
      return header.contains("pass") && header.contains("ip=192.0.2.10") ? "A" : "eom:" + header.replace('\0', ' ');
    } catch (IOException e) {
      return "io";
    }
  }
}
