package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.milter.MacroStage;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.milter.MilterServer;
import org.ptrguard.milter.MilterServerOptions;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.monitor.QueueVerdicts;
import org.ptrguard.monitor.ReceiverHolds;
import org.ptrguard.monitor.RouteSnapshot;
import org.ptrguard.monitor.RouteStatusSource;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.Metrics;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteModel;
import org.ptrguard.testing.LogCapture;
import org.ptrguard.testing.MilterTestClient.EndOfMessage;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/**
 * Per-recipient decisions behind the real milter server, driven the way Postfix drives a milter:
 * {@code {rcpt_mailer}}/{@code {rcpt_host}} macros before each RCPT. Verdicts per route identity come
 * from a table; the routes come from a real Postfix configuration read by postconf: "smtp"
 * (192.0.2.10, healthy), "smtp-b" (192.0.2.11, no PTR), "smtp-v6" (IPv4 healthy, IPv6 broken),
 * "local" and "lmtp".
 */
class GuardRoutesTest {
  static final String GOOD = "192.0.2.10";
  static final String BAD = "192.0.2.11";
  static final String BAD6 = "2001:db8::11";

  @TempDir static Path postfixDir;
  static RouteModel model;

  /** The route model from a real Postfix configuration, read by the real postconf. */
  @BeforeAll
  static void discover() throws Exception {
    Files.writeString(postfixDir.resolve("main.cf"), """
        compatibility_level = 3.6
        myhostname = mail.example.com
        inet_protocols = ipv4
        smtp_bind_address = 192.0.2.10
        transport_maps = inline:{ example.org=smtp-b:, v6.example.net=smtp-v6: }
        """);
    Files.writeString(postfixDir.resolve("master.cf"), """
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        local     unix  -       n       n       -       -       local
        lmtp      unix  -       -       n       -       -       lmtp
        smtp-b    unix  -       -       n       -       -       smtp
          -o smtp_bind_address=192.0.2.11
          -o smtp_helo_name=b.example.com
        smtp-v6   unix  -       -       n       -       -       smtp
          -o inet_protocols=all
          -o smtp_bind_address6=2001:db8::11
        smtp-v4pref unix -      -       n       -       -       smtp
          -o inet_protocols=all
          -o smtp_bind_address6=2001:db8::11
          -o smtp_address_preference=ipv4
        smtp-v6pref unix -      -       n       -       -       smtp
          -o inet_protocols=all
          -o smtp_bind_address=192.0.2.11
          -o smtp_bind_address6=2001:db8::10
          -o smtp_address_preference=ipv6
        """);
    model = new RouteDiscovery(PostfixTools.forInstance(Optional.of(postfixDir))).discover(List.of());
    assertThat(model.problems()).isEmpty();
  }

  /** Verdicts by identity address (the DNS side is tested elsewhere), and recipient domains' MX families. */
  static final class TableRoutes implements RouteStatusSource {
    final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();
    final Map<String, Set<Family>> mx = new ConcurrentHashMap<>();

    @Override
    public RouteSnapshot snapshot() {
      return RouteSnapshot.of(model, id -> {
        String ip = Addresses.text(id.ip());
        return Optional.ofNullable(verdicts.get(ip)).map(v -> new IdentityStatus("route", ip, List.of(), id.ehlo(), v,
            v == Verdict.PASS ? List.of() : List.of("ptr.missing"), v == Verdict.PASS ? "" : "no PTR record for " + ip, false));
      });
    }

    @Override
    public Optional<Set<Family>> destinationFamilies(String domain) {
      return Optional.ofNullable(mx.get(domain));
    }
  }

  private final TableRoutes routes = new TableRoutes();
  private final Metrics metrics = new Metrics();
  private MilterServer server;
  private LogCapture log;

  @BeforeEach
  void verdicts() {
    routes.verdicts.put(GOOD, Verdict.PASS);
    routes.verdicts.put(BAD, Verdict.FAIL);
    routes.verdicts.put(BAD6, Verdict.FAIL);
    log = LogCapture.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    log.close();
  }

  private final QueueVerdicts queue = new QueueVerdicts();
  private final ReceiverHolds holds = new ReceiverHolds(java.time.Clock.systemUTC());

  private MilterTestClient start(String hocon) throws Exception {
    Settings settings = ConfigLoader.parse(hocon);
    Guard guard = new Guard(settings, new GuardSessionTest.TableSource(), holds.over(routes), metrics, queue);
    server = MilterServer.start(MilterServerOptions.defaults()
        .withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0"))), guard);
    MilterTestClient c = MilterTestClient.connect(server.boundAddresses().get(0)).timeout(Duration.ofSeconds(10));
    c.negotiate();
    return c;
  }

  private static Reply hello(MilterTestClient c) throws Exception {
    c.macro('C', "j", "mx.example.com", "{daemon_name}", "submission");
    c.connect("client.example.net", '4', 40000, "10.0.0.5");
    c.macro('H');
    return c.helo("client.example.net").orElseThrow();
  }

  /** One RCPT as Postfix sends it: the route macros first, then the event. */
  private static Reply rcpt(MilterTestClient c, String address, String mailer, String host) throws Exception {
    c.macro('R', "{rcpt_addr}", address, "{rcpt_host}", host, "{rcpt_mailer}", mailer);
    return c.rcpt("<" + address + ">").orElseThrow();
  }

  private void breakSmtpB(boolean broken) {
    routes.verdicts.put(BAD, broken ? Verdict.FAIL : Verdict.PASS);
    routes.verdicts.put(BAD6, broken ? Verdict.FAIL : Verdict.PASS);
  }

  @Test
  void routeModeAsksForRcptAndTheRouteMacros() throws Exception {
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(c.negotiated().sent(MilterEvent.RCPT)).isTrue();
      assertThat(c.negotiated().replies(MilterEvent.RCPT)).isTrue();
      assertThat(c.negotiated().macroLists().get(MacroStage.RCPT.id())).contains("{rcpt_mailer}").contains("{rcpt_host}");
    }
  }

  @Test
  void allRoutesHealthyEndsTheSessionAtHeloAsBefore() throws Exception {
    breakSmtpB(false);
    try (MilterTestClient c = start("mode = enforce")) {
      // No RCPT round trips on a connection opened while every route is healthy.
      assertThat(c.negotiated().sent(MilterEvent.RCPT)).isFalse();
      assertThat(c.negotiated().macroLists()).doesNotContainKey(MacroStage.RCPT.id());
      assertThat(hello(c).code()).isEqualTo('a');
    }
    assertThat(log.linesContaining("event=decision mode=enforce action=accept routes=healthy stage=helo")).hasSize(1);
  }

  @Test
  void aConnectionKeepsTheRouteHealthItWasOpenedWith() throws Exception {
    breakSmtpB(false);
    try (MilterTestClient healthy = start("mode = enforce")) {
      breakSmtpB(true);
      // Opened while all was healthy: no recipients to look at, decided on that health.
      assertThat(hello(healthy).code()).isEqualTo('a');
      try (MilterTestClient broken = MilterTestClient.connect(server.boundAddresses().get(0))
          .timeout(Duration.ofSeconds(10))) {
        broken.negotiate();
        assertThat(broken.negotiated().sent(MilterEvent.RCPT)).isTrue();
        assertThat(hello(broken).code()).isEqualTo('c');
        broken.mail("<alice@example.com>");
        assertThat(rcpt(broken, "carol@example.org", "smtp-b", "example.org").code()).isEqualTo('y');
        // Healthy again: a connection opened while it was broken lets the next message go at MAIL.
        breakSmtpB(false);
        broken.abort();
        assertThat(broken.mail("<alice@example.com>").orElseThrow().code()).isEqualTo('a');
      }
    }
  }

  @Test
  void enforceTempfailsExactlyTheRecipientsOnTheBrokenRoute() throws Exception {
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(hello(c).code()).isEqualTo('c');
      assertThat(c.mail("<alice@example.com>").orElseThrow().code()).isEqualTo('c');
      assertThat(rcpt(c, "bob@example.net", "smtp", "example.net").code()).isEqualTo('c');
      Reply refused = rcpt(c, "carol@example.org", "smtp-b", "example.org");
      assertThat(refused.code()).isEqualTo('y');
      assertThat(refused.text()).isEqualTo(
          "451 4.7.25 ptrguard: outbound identity 192.0.2.11 not ready: route smtp-b: no PTR record for 192.0.2.11");
      // The broken service through a relay: receivers see the relay, so it goes.
      assertThat(rcpt(c, "dave@example.org", "smtp-b", "[198.51.100.26]:25").code()).isEqualTo('c');
      // Delivered on this host: no outbound identity at all.
      assertThat(rcpt(c, "root@mail.example.com", "local", "mail.example.com").code()).isEqualTo('c');
      assertThat(rcpt(c, "erin@example.com", "lmtp", "[127.0.0.1]:24").code()).isEqualTo('c');
      c.macro('E', "i", "Q1");
      EndOfMessage eom = c.endOfMessage();
      assertThat(eom.modifications()).isEmpty();
      assertThat(eom.finalReply().code()).isEqualTo('c');
    }
    assertThat(log.linesContaining("event=decision")).singleElement().satisfies(l -> assertThat(l)
        .contains("mode=enforce action=tempfail rcpt=<carol@example.org> route=smtp-b nexthop=example.org reach=direct")
        .contains("ip=192.0.2.11").contains("verdict=fail").contains("stage=rcpt"));
  }

  @Test
  void holdHoldsOnlyMessagesWithARecipientOnTheBrokenRoute() throws Exception {
    try (MilterTestClient c = start("mode = enforce, enforce.action = hold")) {
      assertThat(hello(c).code()).isEqualTo('c');
      c.mail("<alice@example.com>");
      assertThat(rcpt(c, "bob@example.net", "smtp", "example.net").code()).isEqualTo('c');
      c.macro('E', "i", "HEALTHY1");
      assertThat(c.endOfMessage().modifications()).isEmpty();
      c.abort();

      c.mail("<alice@example.com>");
      assertThat(rcpt(c, "bob@example.net", "smtp", "example.net").code()).isEqualTo('c');
      assertThat(rcpt(c, "carol@example.org", "smtp-b", "example.org").code()).isEqualTo('c');
      c.macro('E', "i", "BROKEN2");
      EndOfMessage eom = c.endOfMessage();
      assertThat(eom.modifications()).singleElement().satisfies(m -> {
        assertThat(m.code()).isEqualTo('q');
        assertThat(m.text()).contains("192.0.2.11").contains("route smtp-b");
      });
      c.abort();
    }
    assertThat(log.linesContaining("action=hold stage=message")).singleElement().satisfies(l -> assertThat(l)
        .contains("routes=smtp-b").contains("rcpts=<carol@example.org>").contains("queue-id=BROKEN2"));
    assertThat(log.linesContaining("action=accept stage=message")).singleElement()
        .satisfies(l -> assertThat(l).contains("queue-id=HEALTHY1").contains("rcpts=1"));
  }

  @Test
  void auditLogsEachUnhealthyRecipientAndOneSummaryForHealthyMessages() throws Exception {
    try (MilterTestClient c = start("mode = audit")) {
      assertThat(hello(c).code()).isEqualTo('c');
      c.mail("<alice@example.com>");
      rcpt(c, "bob@example.net", "smtp", "example.net");
      rcpt(c, "carol@example.org", "smtp-b", "example.org");
      rcpt(c, "dan@example.org", "smtp-b", "example.org");
      c.macro('E', "i", "M1");
      assertThat(c.endOfMessage().modifications()).isEmpty();
      c.abort();
      c.mail("<alice@example.com>");
      assertThat(rcpt(c, "bob@example.net", "smtp", "example.net").code()).isEqualTo('c');
      assertThat(rcpt(c, "root@mail.example.com", "local", "mail.example.com").code()).isEqualTo('c');
      c.macro('E', "i", "M2");
      c.endOfMessage();
    }
    List<String> lines = log.linesContaining("event=decision");
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).contains("mode=audit action=accept would=tempfail rcpt=<carol@example.org> route=smtp-b");
    assertThat(lines.get(1)).contains("would=tempfail rcpt=<dan@example.org>");
    assertThat(lines.get(2)).contains("mode=audit action=accept stage=message rcpts=2")
        .contains("routes=local/local:1,smtp/direct:1").contains("queue-id=M2");
  }

  @Test
  void eachRecipientsRouteVerdictIsRememberedByQueueId() throws Exception {
    try (MilterTestClient c = start("mode = audit")) {
      hello(c);
      c.mail("<alice@example.com>");
      rcpt(c, "bob@example.net", "smtp", "example.net");
      rcpt(c, "carol@example.org", "smtp-b", "example.org");
      c.macro('E', "i", "M1");
      c.endOfMessage();
      c.abort();
      c.mail("<alice@example.com>");
      rcpt(c, "dan@example.net", "smtp", "example.net");
      c.macro('E', "i", "M2");
      c.endOfMessage();
    }
    assertThat(queue.verdict("M1", "bob@example.net")).contains(Verdict.PASS);
    assertThat(queue.verdict("M1", "<Carol@example.org>")).contains(Verdict.FAIL);
    assertThat(queue.verdict("M2", "dan@example.net")).contains(Verdict.PASS);
    assertThat(queue.verdict("M3", "dan@example.net")).isEmpty();
  }

  @Test
  void aReceiverHoldStopsTheHeldRouteAndFamilyOnly() throws Exception {
    breakSmtpB(false);
    IdentityStatus good = routes.snapshot().resolve(Optional.of("smtp"), Optional.empty(), "").ipv4().orElseThrow();
    holds.hold(good, "smtp", Optional.of(Family.IPV4), "mx.example.net[198.51.100.20]",
        "550 5.7.25 The IP address sending this message does not have a PTR record setup", Duration.ofHours(1));
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(hello(c).code()).as("a held route: recipients are looked at").isEqualTo('c');
      c.mail("<alice@example.com>");
      Reply refused = rcpt(c, "bob@example.net", "smtp", "example.net");
      assertThat(refused.code()).isEqualTo('y');
      assertThat(refused.text()).startsWith("451 4.7.25").contains(GOOD)
          .contains("receiver mx.example.net[198.51.100.20] rejected mail from 192.0.2.10: 550 5.7.25 The IP address");
      assertThat(rcpt(c, "carol@example.org", "smtp-b", "example.org").code()).isEqualTo('c');
    }
    assertThat(log.linesContaining("action=tempfail")).singleElement().asString().contains("codes=receiver.rejected")
        .contains("route=smtp ");
  }

  @Test
  void aBrokenIpv6IdentityMattersOnlyWhereTheDomainIsKnownToHaveIpv6() throws Exception {
    breakSmtpB(false);
    routes.verdicts.put(BAD6, Verdict.FAIL);
    routes.mx.put("v4only.example.net", Set.of(Family.IPV4));
    routes.mx.put("dual.example.net", Set.of(Family.IPV4, Family.IPV6));
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(hello(c).code()).isEqualTo('c');
      c.mail("<alice@example.com>");
      assertThat(rcpt(c, "a@v4only.example.net", "smtp-v6", "v4only.example.net").code()).isEqualTo('c');
      assertThat(rcpt(c, "b@dual.example.net", "smtp-v6", "dual.example.net").text()).contains("2001:db8::11");
      // Not looked up yet: decided as if IPv6 could be used, without waiting.
      assertThat(rcpt(c, "c@unknown.example.net", "smtp-v6", "unknown.example.net").code()).isEqualTo('y');
    }
  }

  /**
   * smtp_address_preference = ipv4 with a healthy IPv4 identity: Postfix meets the broken IPv6
   * identity only when IPv4 delivery fails or the domain has IPv6-only exchangers, so only those are
   * held; ipv6 preference shields a broken IPv4 identity only where the exchangers are known to have IPv6.
   */
  @Test
  void theAddressPreferenceMakesTheOtherFamilyAFallbackOnly() throws Exception {
    breakSmtpB(true); // 192.0.2.11 (smtp-v6pref's IPv4) and 2001:db8::11 (smtp-v4pref's IPv6) fail
    routes.verdicts.put("2001:db8::10", Verdict.PASS);
    routes.mx.put("dual.example.net", Set.of(Family.IPV4, Family.IPV6));
    routes.mx.put("v6only.example.net", Set.of(Family.IPV6));
    routes.mx.put("v4only.example.net", Set.of(Family.IPV4));
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(hello(c).code()).isEqualTo('c');
      c.mail("<alice@example.com>");
      // ipv4 preferred and healthy: the broken IPv6 identity is a fallback for these
      assertThat(rcpt(c, "a@dual.example.net", "smtp-v4pref", "dual.example.net").code()).isEqualTo('c');
      assertThat(rcpt(c, "b@unknown.example.net", "smtp-v4pref", "unknown.example.net").code()).isEqualTo('c');
      // but IPv6 is all an IPv6-only domain can get
      Reply v6only = rcpt(c, "c@v6only.example.net", "smtp-v4pref", "v6only.example.net");
      assertThat(v6only.code()).isEqualTo('y');
      assertThat(v6only.text()).contains("451 4.7.25").contains("2001:db8::11");
      // without a preference the same identities hold the dual-stack domain (as before)
      assertThat(rcpt(c, "d@dual.example.net", "smtp-v6", "dual.example.net").code()).isEqualTo('y');
      // ipv6 preferred and healthy: shields the broken IPv4 identity where IPv6 exchangers are known
      assertThat(rcpt(c, "e@dual.example.net", "smtp-v6pref", "dual.example.net").code()).isEqualTo('c');
      assertThat(rcpt(c, "f@v4only.example.net", "smtp-v6pref", "v4only.example.net").text()).contains("192.0.2.11");
      // not known yet: most domains have no IPv6, so the broken IPv4 identity still counts
      assertThat(rcpt(c, "g@unknown.example.net", "smtp-v6pref", "unknown.example.net").text()).contains("192.0.2.11");
    }
    // the decision says why, once per route and family
    assertThat(log.linesContaining("event=route-fallback-family")).hasSize(2);
    assertThat(log.linesContaining("event=route-fallback-family route=smtp-v4pref family=ipv6 preference=ipv4"))
        .singleElement().asString().contains("Postfix uses the broken IPv6 identity only when IPv4 delivery to a mail "
            + "exchanger fails");
    assertThat(log.linesContaining("event=route-fallback-family route=smtp-v6pref family=ipv4 preference=ipv6")).hasSize(1);
    // while IPv4 of smtp-v4pref fails too, nothing shields its IPv6: both families are broken
    routes.verdicts.put(GOOD, Verdict.FAIL);
    try (MilterTestClient c = start("mode = enforce")) {
      assertThat(hello(c).code()).isEqualTo('c');
      c.mail("<alice@example.com>");
      assertThat(rcpt(c, "h@dual.example.net", "smtp-v4pref", "dual.example.net").code()).isEqualTo('y');
    }
  }

  @Test
  void anUnknownTransportFollowsOnDnsErrorAndIsLoggedOnce() throws Exception {
    for (String rule : List.of("accept", "tempfail")) {
      try (MilterTestClient c = start("mode = enforce, on-dns-error = " + rule)) {
        assertThat(hello(c).code()).isEqualTo('c');
        c.mail("<alice@example.com>");
        for (int i = 0; i < 2; i++) {
          Reply r = rcpt(c, "x" + i + "@example.net", "smtp-typo", "example.net");
          assertThat(r.code()).as(rule).isEqualTo(rule.equals("accept") ? 'c' : 'y');
        }
      }
      server.close();
    }
    // once per running guard (two guards ran), not once per recipient
    assertThat(log.linesContaining("event=route-unknown mailer=smtp-typo")).hasSize(2);
  }

  @Test
  void auditHeaderFollowsHealthyMessagesToEndOfMessageWithoutLookingAtRecipients() throws Exception {
    breakSmtpB(false);
    try (MilterTestClient c = start("mode = audit, audit.add-header = true")) {
      assertThat(c.negotiated().sent(MilterEvent.RCPT)).isFalse();
      assertThat(hello(c).code()).isEqualTo('c');
      for (String queueId : List.of("Q1", "Q2")) {
        assertThat(c.mail("<alice@example.com>").orElseThrow().code()).isEqualTo('c');
        c.macro('E', "i", queueId);
        EndOfMessage eom = c.endOfMessage();
        assertThat(eom.modifications()).singleElement()
            .satisfies(m -> assertThat(m.strings(0)).containsExactly("X-PTRGuard", "pass routes=healthy"));
        c.abort();
      }
    }
    List<String> lines = log.linesContaining("event=decision");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains("mode=audit action=add-header routes=healthy stage=message queue-id=Q1");
    assertThat(lines.get(1)).contains("queue-id=Q2");
    assertThat(metrics.render()).contains("ptrguard_decisions_total{mode=\"audit\",action=\"add-header\",verdict=\"pass\"} 1");
  }

  @Test
  void auditHeaderOnARouteBrokenAtConnectButHealthyAtHeloSkipsTheRecipients() throws Exception {
    try (MilterTestClient c = start("mode = audit, audit.add-header = true")) {
      assertThat(c.negotiated().sent(MilterEvent.RCPT)).isTrue();
      breakSmtpB(false);
      assertThat(hello(c).code()).isEqualTo('c');
      c.mail("<alice@example.com>");
      assertThat(rcpt(c, "carol@example.org", "smtp-b", "example.org").code()).isEqualTo('c');
      c.macro('E', "i", "Q3");
      assertThat(c.endOfMessage().modifications()).singleElement()
          .satisfies(m -> assertThat(m.strings(0)).containsExactly("X-PTRGuard", "pass routes=healthy"));
    }
    assertThat(log.linesContaining("event=decision")).singleElement()
        .satisfies(l -> assertThat(l).contains("action=add-header routes=healthy stage=message queue-id=Q3"));
  }

  @Test
  void withoutARouteModelSessionsAreDecidedAsBefore() throws Exception {
    Settings settings = ConfigLoader.parse("mode = enforce");
    GuardSessionTest.TableSource source = new GuardSessionTest.TableSource();
    source.warm(new IdentityStatus("default", "203.0.113.10", List.of(), "mail.example.com", Verdict.PASS, List.of(), "", false));
    Guard guard = new Guard(settings, source, RouteStatusSource.NONE, metrics);
    assertThat(guard.needs()).isSameAs(Guard.NEEDS);
  }
}
