package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.identity.Verdict;
import org.ptrguard.milter.MilterServer;
import org.ptrguard.milter.MilterServerOptions;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.LogCapture;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/**
 * limits.max-waiting-sessions over the wire: while the first identity check is running, only that
 * many sessions wait for it; the next ones are answered at once with the on-dns-error policy, and
 * the waiting ones get the real verdict when it arrives.
 */
class GuardWaitingLimitTest {
  private final GuardSessionTest.TableSource source = new GuardSessionTest.TableSource();
  private MilterServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private void start(String config) throws Exception {
    Guard guard = new Guard(ConfigLoader.parse(config), source, new Metrics());
    server = MilterServer.start(MilterServerOptions.defaults()
        .withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0"))), guard);
  }

  private MilterTestClient client() throws Exception {
    MilterTestClient c = MilterTestClient.connect(server.boundAddresses().get(0)).timeout(Duration.ofSeconds(10));
    c.negotiate();
    c.macro('C');
    c.connect("client.example.net", '4', 40000, "10.0.0.5");
    c.macro('H');
    return c;
  }

  @Test
  void sessionsBeyondTheLimitGetTheOnDnsErrorAnswerAtOnce() throws Exception {
    start("""
        mode = enforce
        on-dns-error = tempfail
        dns.check-budget = 20s
        limits.max-waiting-sessions = 2
        """);
    List<MilterTestClient> waiting = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        MilterTestClient c = client();
        c.frame('H', "client.example.net\0".getBytes(StandardCharsets.US_ASCII)).flush();
        waiting.add(c);
      }
      source.awaitWaiters(2); // both are now waiting for the cold check
      for (int i = 0; i < 3; i++) {
        try (MilterTestClient over = client()) {
          long t0 = System.nanoTime();
          Reply r = over.helo("client.example.net").orElseThrow();
          long ms = (System.nanoTime() - t0) / 1_000_000;
          assertThat(r.code()).isEqualTo('y');
          assertThat(r.text()).contains("too many sessions already waiting");
          assertThat(ms).as("answered without waiting for DNS").isLessThan(2_000);
        }
      }
      source.warm(new IdentityStatus("default", "203.0.113.10", List.of("mail.example.com"), "mail.example.com",
          Verdict.PASS, List.of(), "", false));
      for (MilterTestClient c : waiting) {
        assertThat(c.readReply().code()).as("the waiting sessions get the real verdict").isEqualTo('a');
      }
    } finally {
      for (MilterTestClient c : waiting) {
        c.close();
      }
    }
  }

  @Test
  void aSlotIsFreedWhenAWaitingSessionGetsItsAnswer() throws Exception {
    start("""
        mode = enforce
        on-dns-error = tempfail
        dns { timeout = 100ms, check-budget = 300ms }
        limits.max-waiting-sessions = 1
        """);
    // Each session waits out the budget alone, then frees the slot for the next one.
    for (int i = 0; i < 3; i++) {
      try (MilterTestClient c = client()) {
        Reply r = c.helo("client.example.net").orElseThrow();
        assertThat(r.text()).as("session " + i).contains("not finished within 300 ms");
      }
    }
  }

  @Test
  void aColdAutoIdentityIsLoggedWithoutAnEhloNameNotTheWordAuto() throws Exception {
    // The default identity is ehlo = auto: before its first check no EHLO name is known.
    start("""
        mode = enforce
        on-dns-error = tempfail
        dns { timeout = 100ms, check-budget = 300ms }
        """);
    try (LogCapture log = LogCapture.start(); MilterTestClient c = client()) {
      assertThat(c.helo("client.example.net").orElseThrow().text()).contains("not finished within 300 ms");
      String line = log.await("event=decision", Duration.ofSeconds(10));
      assertThat(line).contains(" ehlo=- ").doesNotContain("ehlo=auto");
    }
  }
}
