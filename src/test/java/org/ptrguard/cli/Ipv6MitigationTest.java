package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.identity.Finding;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.RouteDiscovery;
import org.ptrguard.postfix.RouteModel;

/**
 * The IPv4 mitigation when the IPv6 identity fails and IPv4 passes, with the routes it concerns
 * from a route model read by the real postconf (no Postfix running).
 */
class Ipv6MitigationTest {
  private static final ControlCommands.DaemonAnswer NO_DAEMON =
      ControlCommands.DaemonAnswer.unavailable("the daemon is not running (no control socket at /run/ptrguard/control.sock)");

  @TempDir Path dir;

  private RouteModel model() throws Exception {
    Files.writeString(dir.resolve("main.cf"), """
        compatibility_level = 3.6
        myhostname = mail.example.com
        inet_protocols = all
        smtp_bind_address = 192.0.2.10
        smtp_bind_address6 = 2001:db8::25
        sender_dependent_default_transport_maps = inline:{ {@news.example.org = smtp-news:} }
        """);
    Files.writeString(dir.resolve("master.cf"), """
        smtp      unix  -       -       n       -       -       smtp
        smtp-news unix  -       -       n       -       -       smtp
          -o smtp_address_preference=ipv4
        relay     unix  -       -       n       -       -       smtp
        local     unix  -       n       n       -       -       local
        """);
    return new RouteDiscovery(PostfixTools.forInstance(Optional.of(dir))).discover(List.of());
  }

  private static IdentityReport report(String ip, Verdict verdict) throws Exception {
    List<Finding> findings = verdict == Verdict.PASS ? List.of()
        : List.of(new Finding("ptr.missing", verdict, "no PTR record for " + ip, List.of(), "fix"));
    return new IdentityReport(new Identity("default", InetAddress.getByName(ip), "mail.example.com", false), List.of(),
        verdict, findings, Optional.empty(), Duration.ofMinutes(5), Instant.EPOCH);
  }

  @Test
  void failingIpv6NextToPassingIpv4NamesTheMitigationAndTheRoutes() throws Exception {
    Optional<Ipv6Mitigation> m = Ipv6Mitigation.of(
        List.of(report("192.0.2.10", Verdict.PASS), report("2001:db8::25", Verdict.FAIL)), Optional.of(model()),
        NO_DAEMON);
    assertThat(m).isPresent();
    assertThat(m.get().failingIpv6()).containsExactly("2001:db8::25");
    assertThat(m.get().passingIpv4()).containsExactly("192.0.2.10");
    // Both smtp services send over 2001:db8::25; their address preference says which deliveries meet it.
    assertThat(m.get().routes()).extracting(Ipv6Mitigation.RouteImpact::route, Ipv6Mitigation.RouteImpact::addressPreference)
        .contains(org.assertj.core.groups.Tuple.tuple("smtp -> MX of the recipient domain", "any"),
            org.assertj.core.groups.Tuple.tuple("smtp-news -> MX of the recipient domain", "ipv4"));
    assertThat(m.get().routes()).filteredOn(r -> r.addressPreference().equals("ipv4"))
        .allSatisfy(r -> assertThat(r.affected()).startsWith("receivers without IPv4 addresses only"));
    assertThat(Ipv6Mitigation.TEXT).contains("smtp_address_preference = ipv4").contains("inet_protocols = ipv4")
        .contains("postfix stop && postfix start").contains("IPv6-only receivers become unreachable");
    // No daemon answered: the share of mail is said to be unknown, per route, and why.
    assertThat(m.get().share()).contains("How much mail IPv6 on route smtp affects is not known: only the running"
        + " daemon counts it").contains("route smtp-news affects is not known")
        .contains("it cannot be asked: the daemon is not running (no control socket at /run/ptrguard/control.sock).");

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new CheckReport(new PrintStream(bytes, true, StandardCharsets.UTF_8), false).ipv6Mitigation(m.get());
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(CheckReport.WIDTH));
    String flat = text.replaceAll("\\s+", " ");
    assertThat(flat).contains("ipv6: 2001:db8::25 fails, 192.0.2.10 passes.")
        .contains("route smtp-news -> MX of the recipient domain (smtp_address_preference = ipv4): IPv6 is used for"
            + " receivers without IPv4 addresses only");
  }

  @Test
  void noMitigationUnlessIpv6FailsAndIpv4Passes() throws Exception {
    assertThat(Ipv6Mitigation.of(List.of(report("192.0.2.10", Verdict.FAIL), report("2001:db8::25", Verdict.FAIL)),
        Optional.empty(), NO_DAEMON)).isEmpty();
    assertThat(Ipv6Mitigation.of(List.of(report("192.0.2.10", Verdict.PASS), report("2001:db8::25", Verdict.WARN)),
        Optional.empty(), NO_DAEMON)).isEmpty();
    assertThat(Ipv6Mitigation.of(List.of(report("2001:db8::25", Verdict.FAIL)), Optional.empty(), NO_DAEMON))
        .isEmpty();
    // Ad hoc (no route model): the mitigation, and a note that check cannot tell the share of mail.
    Optional<Ipv6Mitigation> adHoc = Ipv6Mitigation.of(
        List.of(report("192.0.2.10", Verdict.WARN), report("2001:db8::25", Verdict.FAIL)), Optional.empty(), NO_DAEMON);
    assertThat(adHoc).hasValueSatisfying(m -> {
      assertThat(m.routes()).isEmpty();
      assertThat(m.share()).startsWith("ptrguard check cannot tell how much mail this affects");
    });
  }
}
