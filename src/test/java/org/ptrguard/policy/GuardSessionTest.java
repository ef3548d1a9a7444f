package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.milter.MilterServer;
import org.ptrguard.milter.MilterServerOptions;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.monitor.IdentityStatusSource;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.Metrics;
import org.ptrguard.testing.MilterTestClient.EndOfMessage;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/**
 * The guard behind the real milter server, driven by the MTA-side test client the way Postfix
 * drives it. Identity verdicts come from a table here: the DNS side is tested against real DNS
 * servers elsewhere; this test is about what the guard answers in each mode and stage.
 */
class GuardSessionTest {
  /** Verdicts by identity name; an absent name stays cold until {@link #warm} is called. */
  static final class TableSource implements IdentityStatusSource {
    final Map<String, IdentityStatus> warm = new ConcurrentHashMap<>();
    final Map<String, CompletableFuture<IdentityStatus>> pending = new ConcurrentHashMap<>();

    @Override
    public Optional<IdentityStatus> peek(String identity) {
      return Optional.ofNullable(warm.get(identity));
    }

    /** Calls of status() for an identity not warm yet: each is a session now waiting for it. */
    final java.util.concurrent.atomic.AtomicInteger waiters = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public CompletionStage<IdentityStatus> status(String identity) {
      IdentityStatus s = warm.get(identity);
      if (s != null) {
        return CompletableFuture.completedFuture(s);
      }
      CompletableFuture<IdentityStatus> f = pending.computeIfAbsent(identity, k -> new CompletableFuture<>());
      waiters.incrementAndGet();
      return f;
    }

    /**
     * Until {@code n} sessions wait for a status, or fails after a generous bound: a fixed pause was
     * not always enough on a loaded machine for the sessions to get there.
     */
    void awaitWaiters(int n) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (waiters.get() < n && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(waiters.get()).as("sessions waiting for the first check").isGreaterThanOrEqualTo(n);
    }

    void warm(IdentityStatus s) {
      warm.put(s.identity(), s);
      CompletableFuture<IdentityStatus> f = pending.remove(s.identity());
      if (f != null) {
        f.complete(s);
      }
    }
  }

  private final TableSource source = new TableSource();
  private final Metrics metrics = new Metrics();
  private MilterServer server;
  private Guard guard;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static IdentityStatus status(String identity, String ip, Verdict verdict, String... codes) {
    return new IdentityStatus(identity, ip, List.of("mail.example.com"), "mail.example.com", verdict, List.of(codes),
        verdict == Verdict.PASS ? "" : "no PTR record for " + ip, false);
  }

  private MilterTestClient start(String hocon) throws Exception {
    Settings settings = ConfigLoader.parse(hocon);
    guard = new Guard(settings, source, metrics);
    server = MilterServer.start(MilterServerOptions.defaults()
        .withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0"))), guard);
    return client();
  }

  private MilterTestClient client() throws Exception {
    SocketAddress address = server.boundAddresses().get(0);
    MilterTestClient c = MilterTestClient.connect(address).timeout(Duration.ofSeconds(10));
    c.negotiate();
    return c;
  }

  private static Reply connectAndHelo(MilterTestClient c, String clientIp) throws Exception {
    c.macro('C', "j", "mx.example.com", "{daemon_name}", "submission");
    // CONNECT is negotiated as no-reply: Postfix does not wait for it.
    assertThat(c.connect("client.example.net", '4', 40000, clientIp)).isEmpty();
    c.macro('H');
    return c.helo("client.example.net").orElseThrow();
  }

  @Test
  void negotiatesOnlyTheEventsTheGuardUses() throws Exception {
    for (String mode : List.of("mode = audit", "mode = enforce")) {
      try (MilterTestClient c = start(mode)) {
        assertThat(c.negotiated().sent(MilterEvent.CONNECT)).isTrue();
        assertThat(c.negotiated().sent(MilterEvent.HELO)).isTrue();
        assertThat(c.negotiated().sent(MilterEvent.MAIL)).isTrue();
        assertThat(c.negotiated().sent(MilterEvent.RCPT)).isFalse();
        assertThat(c.negotiated().sent(MilterEvent.BODY)).isFalse();
        assertThat(c.negotiated().sent(MilterEvent.HEADER)).isFalse();
        // The decision waits for HELO, so CONNECT needs no answer; HELO and MAIL carry the decision.
        assertThat(c.negotiated().replies(MilterEvent.CONNECT)).as(mode).isFalse();
        assertThat(c.negotiated().replies(MilterEvent.HELO)).as(mode).isTrue();
        assertThat(c.negotiated().replies(MilterEvent.MAIL)).as(mode).isTrue();
        assertThat(c.negotiated().actions() & 0x21).isEqualTo(0x21); // ADDHDRS | QUARANTINE
      }
      server.close();
    }
  }

  @Test
  void auditAcceptsAFailingIdentityAndCountsTheDecision() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient c = start("mode = audit")) {
      assertThat(connectAndHelo(c, "10.0.0.5").code()).isEqualTo('a');
    }
    assertThat(metrics.render()).contains("ptrguard_decisions_total{mode=\"audit\",action=\"accept\",verdict=\"fail\"} 1");
  }

  @Test
  void enforceTempfailsAtHeloWithTheConfiguredReply() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient c = start("mode = enforce")) {
      Reply r = connectAndHelo(c, "10.0.0.5");
      assertThat(r.code()).isEqualTo('y');
      assertThat(r.text()).isEqualTo("451 4.7.25 ptrguard: outbound identity 203.0.113.10 not ready: no PTR record for 203.0.113.10");
    }
  }

  @Test
  void enforceAcceptsAPassingIdentity() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.PASS));
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(connectAndHelo(c, "10.0.0.5").code()).isEqualTo('a');
    }
  }

  @Test
  void holdQuarantinesEveryMessageOfTheSession() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient c = start("mode = enforce, enforce.action = hold")) {
      assertThat(connectAndHelo(c, "127.0.0.1").code()).isEqualTo('c');
      for (int message = 0; message < 2; message++) {
        c.macro('M', "i", "ABC" + message);
        assertThat(c.mail("<alice@example.com>")).get().extracting(Reply::code).isEqualTo('c');
        EndOfMessage eom = c.endOfMessage();
        assertThat(eom.modifications()).singleElement().satisfies(m -> {
          assertThat(m.code()).isEqualTo('q');
          assertThat(m.text()).isEqualTo("ptrguard: outbound identity 203.0.113.10 not ready: no PTR record for 203.0.113.10");
        });
        assertThat(eom.finalReply().code()).isEqualTo('c');
        c.abort();
      }
    }
  }

  @Test
  void auditHeaderIsAddedAtEndOfMessage() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.WARN, "ptr.generic"));
    try (MilterTestClient c = start("mode = audit, audit.add-header = true")) {
      assertThat(connectAndHelo(c, "10.0.0.5").code()).isEqualTo('c');
      assertThat(c.mail("<alice@example.com>")).get().extracting(Reply::code).isEqualTo('c');
      EndOfMessage eom = c.endOfMessage();
      assertThat(eom.modifications()).singleElement().satisfies(m -> {
        assertThat(m.code()).isEqualTo('h');
        assertThat(m.strings(0)).containsExactly("X-PTRGuard", "warn identity=default ip=203.0.113.10 codes=ptr.generic");
      });
    }
  }

  @Test
  void withoutHeloTheDecisionComesAtMail() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient c = start("mode = enforce")) {
      c.macro('C');
      c.connect("client.example.net", '4', 40000, "10.0.0.5");
      Reply r = c.mail("<alice@example.com>").orElseThrow();
      assertThat(r.code()).isEqualTo('y');
      assertThat(r.text()).startsWith("451 4.7.25 ");
    }
  }

  @Test
  void senderDomainSelectsTheIdentityPerMessage() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.PASS));
    source.warm(status("org", "203.0.113.12", Verdict.FAIL, "fcrdns.mismatch"));
    try (MilterTestClient c = start("""
        mode = enforce
        identities = [ { name = default, ip = ["203.0.113.10"], ehlo = mail.example.com },
                       { name = org, ip = ["203.0.113.12"], ehlo = mail.example.org, senders = [example.org] } ]
        """)) {
      assertThat(connectAndHelo(c, "10.0.0.5").code()).isEqualTo('c');
      assertThat(c.mail("<bob@example.org>").orElseThrow().text()).contains("203.0.113.12");
      c.abort();
      assertThat(c.mail("<carol@example.com>").orElseThrow().code()).isEqualTo('a');
    }
  }

  @Test
  void clientsOutsideScopeAreNotGuarded() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient c = start("mode = enforce, scope.clients = [\"10.0.0.0/8\"]")) {
      c.macro('C');
      // CONNECT has no reply, so the session is let go at HELO, undecided.
      assertThat(c.connect("mx.other.example", '4', 40000, "198.51.100.77")).isEmpty();
      c.macro('H');
      assertThat(c.helo("mx.other.example")).get().extracting(Reply::code).isEqualTo('a');
    }
    assertThat(metrics.render()).doesNotContainPattern("ptrguard_decisions_total\\{[^}]*} [1-9]"); // none counted
    try (MilterTestClient c = client()) {
      assertThat(connectAndHelo(c, "10.1.2.3").code()).isEqualTo('y');
    }
    assertThat(metrics.render()).contains("ptrguard_decisions_total{mode=\"enforce\",action=\"tempfail\",verdict=\"fail\"} 1");
  }

  @Test
  void withoutHeloAClientOutsideScopeIsLetGoAtMail() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient c = start("mode = enforce, scope.clients = [\"10.0.0.0/8\"]")) {
      c.macro('C');
      assertThat(c.connect("mx.other.example", '4', 40000, "198.51.100.77")).isEmpty();
      assertThat(c.mail("<bob@other.example>")).get().extracting(Reply::code).isEqualTo('a');
    }
    assertThat(metrics.render()).doesNotContainPattern("ptrguard_decisions_total\\{[^}]*} [1-9]"); // none counted
  }

  @Test
  void coldSessionWaitsForTheFirstCheck() throws Exception {
    try (MilterTestClient c = start("mode = enforce")) {
      c.macro('C');
      c.connect("client.example.net", '4', 40000, "10.0.0.5");
      c.macro('H');
      c.frame('H', "client.example.net\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).flush();
      source.awaitWaiters(1);
      source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
      assertThat(c.readReply().code()).isEqualTo('y');
    }
    assertThat(metrics.render()).contains("ptrguard_smtp_path_identity_waits_total 1");
  }

  @Test
  void coldSessionGivesUpAfterTheBudgetAndFollowsOnDnsError() throws Exception {
    try (MilterTestClient c = start("mode = enforce, on-dns-error = tempfail, dns { timeout = 200ms, check-budget = 300ms }")) {
      long start = System.nanoTime();
      Reply r = connectAndHelo(c, "10.0.0.5");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(r.code()).isEqualTo('y');
      assertThat(r.text()).contains("identity check not finished within 300 ms");
      assertThat(ms).isBetween(250L, 5_000L);
    }
  }

  @Test
  void reloadedModeAppliesToTheNextDecisionWithoutDroppingOpenSessions() throws Exception {
    source.warm(status("default", "203.0.113.10", Verdict.FAIL, "ptr.missing"));
    try (MilterTestClient open = start("mode = audit, audit.add-header = true")) {
      assertThat(connectAndHelo(open, "10.0.0.5").code()).isEqualTo('c');
      guard.update(ConfigLoader.parse("mode = enforce"));
      try (MilterTestClient next = client()) {
        assertThat(connectAndHelo(next, "10.0.0.6").code()).isEqualTo('y');
      }
      // The session opened before the reload still works and finishes its message.
      assertThat(open.mail("<alice@example.com>")).get().extracting(Reply::code).isEqualTo('c');
      assertThat(open.endOfMessage().finalReply().code()).isEqualTo('c');
    }
  }
}
