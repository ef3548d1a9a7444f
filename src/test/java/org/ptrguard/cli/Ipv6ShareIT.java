package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.MilterTestClient;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.TestDnsServer;

/**
 * How much mail a broken IPv6 identity affects, end to end: the packaged daemon in route mode (a
 * Postfix configuration read by the real postconf; smtp sends from 192.0.2.10, which passes, and
 * 2001:db8::20, which has no PTR), real milter traffic with Postfix's RCPT macros, the recipients'
 * MX and AAAA records served by the test DNS server, and the real {@code status}, {@code check} and
 * {@code routes} commands as separate processes asking the daemon over its control socket.
 */
class Ipv6ShareIT {
  private static final String RECIPIENT_ZONE = """
      $ORIGIN example.net.
      $TTL 300
      @         IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60
      @         IN NS  ns1.example.com.
      ; mail exchangers with both families
      v6        IN MX 10 mx.v6
      mx.v6     IN A    198.51.100.25
      mx.v6     IN AAAA 2001:db8:1::25
      ; IPv4 only
      v4        IN MX 10 mx.v4
      mx.v4     IN A    198.51.100.26
      ; no MX: the domain's own addresses (implicit MX), IPv6 among them
      nomx      IN A    198.51.100.27
      nomx      IN AAAA 2001:db8:1::27
      """;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  @SuppressWarnings("unchecked")
  void checkRoutesAndStatusSayHowManyRecipientsWentToIpv6MailExchangers(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Path recipients = work.resolve("example.net.zone");
    Files.writeString(recipients, RECIPIENT_ZONE);
    try (TestDnsServer dns = TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone")
        .zoneResource("0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone")
        .zone("example.net", recipients);
         PrivatePostfix postfix = PrivatePostfix.builder("v6share")
             .parameter("inet_protocols", "all")
             .parameter("smtp_bind_address", "192.0.2.10")
             .parameter("smtp_bind_address6", "2001:db8::20")
             .parameter("smtp_helo_name", "mail.example.com")
             .skipStartProbe().build()) {
      int milterPort = FreePorts.next();
      Path socket = work.resolve("control.sock");
      Path conf = work.resolve("ptrguard.conf");
      Files.writeString(conf, """
          listen = ["inet:127.0.0.1:%d"]
          control.socket = "%s"
          dns { resolvers = ["127.0.0.1:%d"], timeout = 2s, check-budget = 10s }
          routes { enabled = yes, postfix-config = "%s" }
          # no identities written: the routes' identities are the host's; this machine's own default identity
          # (its main.cf, its kernel route) must not be checked beside them
          feedback.source = off
          mode = audit
          """.formatted(milterPort, socket, dns.address().getPort(), postfix.configDir()));

      // No daemon yet: check gives the mitigation and says the share of mail is not known, and why.
      ProcessResult alone = cli("check", "--config", conf.toString());
      assertThat(alone.exitCode()).as(alone.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
      assertThat(flat(alone.stdout())).contains("ipv6: 2001:db8::20 fails, 192.0.2.10 passes.",
          "How much mail IPv6 on route smtp affects is not known: only the running daemon counts it",
          "it cannot be asked: the daemon is not running (no control socket at " + socket + ")");

      try (PtrguardProcess daemon = PtrguardProcess.start(PtrguardProcess.builder("serve", "--config", conf.toString()),
          work.resolve("ptrguard.log"))) {
        daemon.awaitLog("event=ready", WAIT);
        daemon.awaitLog("event=route-identity ip=2001:db8::20", WAIT);

        // One SMTP session as Postfix's smtpd drives the milter: six recipients on the smtp route.
        try (MilterTestClient milter = MilterTestClient.connect(new InetSocketAddress("127.0.0.1", milterPort))
            .timeout(Duration.ofSeconds(20))) {
          MilterTestClient.Negotiated n = milter.negotiate();
          assertThat(n.sent(MilterEvent.RCPT)).as("a broken route makes the guard look at recipients").isTrue();
          milter.connect("client.example.org", '4', 40000, "127.0.0.1");
          milter.helo("client.example.org");
          milter.mail("<sender@example.org>");
          for (String rcpt : List.of("a@v6.example.net", "b@v6.example.net", "a@v4.example.net", "a@nomx.example.net",
              "b@v4.example.net", "c@v6.example.net")) {
            milter.macro('R', "{rcpt_mailer}", "smtp", "{rcpt_host}", rcpt.substring(rcpt.indexOf('@') + 1),
                "{rcpt_addr}", rcpt);
            assertThat(milter.rcpt("<" + rcpt + ">")).as(rcpt).hasValueSatisfying(r -> assertThat(r.code()).isEqualTo('c'));
          }
          assertThat(milter.endOfMessage().finalReply().code()).isEqualTo('c');
          milter.quit();
        }

        // The MX lookups run in the background; the count settles once they have answered.
        Map<String, Object> share = awaitSettled(socket);
        assertThat(share).containsEntry("route", "smtp").containsEntry("ipv6", "2001:db8::20")
            .containsEntry("ipv6_verdict", "fail").containsEntry("ipv4_verdict", "pass");
        assertThat(number(share, "recipients")).isEqualTo(6);
        assertThat(number(share, "to_ipv6_mx")).isEqualTo(4); // three at v6, one at nomx (implicit MX with AAAA)
        assertThat(number(share, "percent")).isEqualTo(67);

        ProcessResult status = cli("status", "--socket", socket.toString());
        assertThat(status.exitCode()).as(status.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
        String statusText = flat(status.stdout());
        assertThat(statusText).contains("IPv6 is broken on route smtp: 4 of 6 recipients since",
            "(67%) went to domains with IPv6 mail exchangers");
        assertThat(statusText).as("relay_transport is not a route here (no relay_domains)").doesNotContain("route relay:");
        // The route identities with their receiver matrix, per family.
        assertThat(statusText).contains("route identity relay, smtp (IPv6): 2001:db8::20 FAIL",
            "route identity relay, smtp (IPv4): 192.0.2.10 PASS", "gmail-v6 reject 550 5.7.1",
            "This message does not meet IPv6 sending guidelines regarding PTR records");

        ProcessResult check = cli("check", "--config", conf.toString());
        assertThat(check.exitCode()).as(check.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
        assertThat(flat(check.stdout())).contains("IPv6 is broken on route smtp: 4 of 6 recipients since",
            "(67%) went to domains with IPv6 mail exchangers (the running daemon's count).");
        ProcessResult checkJson = cli("check", "--config", conf.toString(), "--json");
        assertThat(checkJson.stdout()).contains("\"route\":\"smtp -> MX of the recipient domain\"",
            "\"recipients_24h\":{\"route\":\"smtp\",\"ipv6\":\"2001:db8::20\"", "\"recipients\":6,\"to_ipv6_mx\":4");

        // status and check agree: exactly the route identities, no separate host-default identity
        Map<String, Object> statusDoc = ControlCommands.parse(cli("status", "--json", "--socket", socket.toString()).stdout());
        assertThat((List<Object>) statusDoc.get("identities")).as("no host-default identity in route mode").isEmpty();
        assertThat(addresses(statusDoc.get("route_identities"))).containsExactlyInAnyOrder("192.0.2.10", "2001:db8::20");
        assertThat(addresses(ControlCommands.parse(checkJson.stdout()).get("identities")))
            .containsExactlyInAnyOrderElementsOf(addresses(statusDoc.get("route_identities")));
        assertThat(statusDoc.get("verdict")).isEqualTo("fail");

        ProcessResult routes = cli("routes", "--config", conf.toString());
        assertThat(flat(routes.stdout())).contains("IPv6 mail: IPv6 is broken on route smtp: 4 of 6 recipients since",
            "(67%) went to domains with IPv6 mail exchangers (the running daemon's count).");
        assertThat(daemon.logText()).doesNotContain("Exception");
      }
    }
  }

  /** The daemon's count for route smtp once every recipient's mail exchangers are known. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> awaitSettled(Path socket) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, Object> last = Map.of();
    while (System.nanoTime() < deadline) {
      ProcessResult r = cli("status", "--json", "--socket", socket.toString());
      Optional<Map<String, Object>> smtp = Ipv6ShareSection.forRoute(ControlCommands.parse(r.stdout()), "smtp");
      if (smtp.isPresent()) {
        last = smtp.get();
        if (number(last, "recipients") == 6 && number(last, "mx_not_known") == 0) {
          return last;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the count never settled: " + last);
  }

  /** The "ip" of each identity of a status or check JSON list. */
  @SuppressWarnings("unchecked")
  private static List<String> addresses(Object identities) {
    return ((List<Object>) identities).stream().map(i -> String.valueOf(((Map<String, Object>) i).get("ip"))).toList();
  }

  private static long number(Map<String, Object> data, String key) {
    return data.get(key) instanceof Number n ? n.longValue() : -1;
  }

  private static String flat(String text) {
    return text.replaceAll("\\s+", " ");
  }

  private static ProcessResult cli(String... args) {
    return Commands.run(Duration.ofSeconds(60), PtrguardProcess.command(List.of("-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData"), args));
  }
}
