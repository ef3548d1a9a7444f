package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.TestDnsServer.Fault;

/** The identity checks against a real DNS server on loopback serving the zones in src/test/resources/zones. */
class IdentityCheckerTest {
  static TestDnsServer dns;
  static IdentityChecker checker;

  static TestDnsServer withZones(TestDnsServer s) {
    return s.zoneResource("example.com", "example.com.zone")
        .zoneResource("isp.example.net", "isp.example.net.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone")
        .zoneResource("0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone");
  }

  static DnsOptions options(TestDnsServer server, Duration timeout, Duration budget) {
    return new DnsOptions(List.of(server.address()), List.of(), timeout, budget);
  }

  @BeforeAll
  static void start() throws Exception {
    dns = withZones(TestDnsServer.start());
    checker = new IdentityChecker(options(dns, Duration.ofMillis(500), Duration.ofSeconds(3)), GenericNameClassifier.standard());
  }

  @AfterAll
  static void stop() {
    checker.close();
    dns.close();
  }

  static IdentityReport check(IdentityChecker c, String ip, String ehlo) throws Exception {
    return c.check(new Identity("default", InetAddress.getByName(ip), ehlo, false)).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static IdentityReport check(String ip, String ehlo) throws Exception {
    return check(checker, ip, ehlo);
  }

  @Test
  void coherentIdentityPassesAndNamesTheReverseZoneAuthority() throws Exception {
    IdentityReport r = check("192.0.2.10", "mail.example.com");
    assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    assertThat(r.findings()).isEmpty();
    assertThat(r.ptrNames()).containsExactly("mail.example.com");
    assertThat(r.minTtl()).isEqualTo(Duration.ofSeconds(300));
    assertThat(r.reverseZone()).hasValueSatisfying(z -> {
      assertThat(z.zone()).isEqualTo("2.0.192.in-addr.arpa.");
      assertThat(z.soaPrimary()).isEqualTo("ns1.isp.example.net.");
      assertThat(z.soaContact()).isEqualTo("hostmaster@isp.example.net");
      assertThat(z.nameServers()).containsExactly("ns1.isp.example.net.", "ns2.isp.example.net.");
    });
  }

  @Test
  void missingPtrFromNxdomainAndFromNodata() throws Exception {
    for (String ip : List.of("192.0.2.13", "192.0.2.18")) {
      IdentityReport r = check(ip, "mail.example.com");
      assertThat(r.verdict()).as(ip).isEqualTo(Verdict.FAIL);
      assertThat(r.codes()).as(ip).contains("ptr.missing");
      Finding f = r.findings().get(0);
      assertThat(f.code()).isEqualTo("ptr.missing");
      assertThat(f.fix()).contains("PTR mail.example.com.").contains("2.0.192.in-addr.arpa. (primary ns1.isp.example.net.")
          .contains("not the DNS host of your domain");
      assertThat(f.fix()).contains(ip.substring(ip.lastIndexOf('.') + 1) + ".2.0.192.in-addr.arpa. PTR mail.example.com.");
    }
    assertThat(check("192.0.2.13", "mail.example.com").findings().get(0).evidence().get(0)).contains("NXDOMAIN");
    assertThat(check("192.0.2.18", "mail.example.com").findings().get(0).evidence().get(0)).contains("NODATA");
  }

  @Test
  void ptrNameResolvingElsewhereIsAMismatch() throws Exception {
    IdentityReport r = check("192.0.2.11", "other.example.com");
    assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(r.codes()).containsExactly("fcrdns.mismatch", "ehlo.address-mismatch");
    Finding f = r.findings().get(0);
    assertThat(f.message()).isEqualTo("PTR name other.example.com does not resolve back to 192.0.2.11");
    assertThat(f.evidence()).anySatisfy(e -> assertThat(e).contains("other.example.com. A: 192.0.2.99 (ttl 300)"));
    assertThat(f.fix()).contains("other.example.com. A 192.0.2.11").contains("DNS host of example.com");
  }

  @Test
  void ptrNameWithoutAddressIsNotForwardConfirmed() throws Exception {
    assertThat(check("192.0.2.12", "mail.example.com").codes()).contains("fcrdns.no-address");
    // Only an AAAA record: an IPv4 identity needs an A record.
    IdentityReport r = check("192.0.2.17", "mail.example.com");
    assertThat(r.codes()).contains("fcrdns.no-address");
    assertThat(r.findings().get(0).message()).contains("has no A record");
  }

  @Test
  void twoPtrRecordsWarnButOneConfirmingNameIsEnough() throws Exception {
    IdentityReport r = check("192.0.2.14", "mx2.example.com");
    assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    assertThat(r.codes()).containsExactly("ptr.multiple");
    assertThat(r.ptrNames()).containsExactlyInAnyOrder("mx2.example.com", "stale-name.example.com");
  }

  @Test
  void ptrBehindCnameUppercaseAndTrailingDot() throws Exception {
    IdentityReport r = check("192.0.2.15", "MX3.Example.COM.");
    assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    assertThat(r.ptrNames()).containsExactly("mx3.example.com");
  }

  @Test
  void genericNameThatPassesFcrdnsWarnsOrFails() throws Exception {
    IdentityReport r = check("192.0.2.16", "static-192-0-2-16.isp.example.net");
    assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    assertThat(r.codes()).containsExactly("ptr.generic");
    assertThat(r.findings().get(0).evidence().get(0)).contains("spells the address 192.0.2.16");
    IdentityReport strict = checker.check(new Identity("default", InetAddress.getByName("192.0.2.16"),
        "static-192-0-2-16.isp.example.net", true)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(strict.verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  void ipv6NibbleZone() throws Exception {
    IdentityReport ok = check("2001:db8::10", "mail.example.com");
    assertThat(ok.verdict()).as(ok.findings().toString()).isEqualTo(Verdict.PASS);
    IdentityReport r = check("2001:db8::99", "mail.example.com");
    assertThat(r.codes()).contains("fcrdns.mismatch");
    assertThat(r.findings().get(0).fix()).contains("mail.example.com. AAAA 2001:db8::99");
    // Evidence shows AAAA data the way an admin writes it (RFC 5952), not Java's long form.
    assertThat(r.findings().get(0).evidence()).anySatisfy(e -> assertThat(e).contains("2001:db8::10 (ttl"));
    assertThat(String.join("\n", r.findings().get(0).evidence())).doesNotContain(":0:0:");
  }

  @Test
  void ipv4MappedInputIsCheckedAsIpv4() throws Exception {
    IdentityReport r = check("::ffff:192.0.2.10", "mail.example.com");
    assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    assertThat(r.ptrNames()).containsExactly("mail.example.com");
  }

  @Test
  void ehloProblems() throws Exception {
    IdentityReport invalid = check("192.0.2.10", "localhost");
    assertThat(invalid.codes()).containsExactly("ehlo.invalid");
    assertThat(invalid.findings().get(0).fix()).contains("smtp_helo_name = mail.example.com");
    IdentityReport missing = check("192.0.2.10", "nohost.example.com");
    assertThat(missing.codes()).containsExactly("ehlo.no-address", "ehlo.ptr-mismatch");
    IdentityReport elsewhere = check("192.0.2.10", "other.example.com");
    assertThat(elsewhere.verdict()).isEqualTo(Verdict.WARN);
    assertThat(elsewhere.codes()).containsExactly("ehlo.address-mismatch", "ehlo.ptr-mismatch");
    IdentityReport alias = check("192.0.2.10", "alias.example.com");
    assertThat(alias.codes()).containsExactly("ehlo.ptr-mismatch");
  }

  @Test
  void ehloFixesRecommendThePtrNameOnlyWhenItIsFitToAnnounce() throws Exception {
    // .10: mail.example.com resolves back and is not generic, so it is the name to announce.
    IdentityReport good = check("192.0.2.10", "other.example.com");
    assertThat(fix(good, "ehlo.ptr-mismatch")).contains("set smtp_helo_name = mail.example.com");
    assertThat(fix(good, "ehlo.address-mismatch")).contains("the PTR name mail.example.com is the natural choice");
    // .16: the provider's generic name resolves back, but announcing it would be a finding of its own.
    IdentityReport generic = check("192.0.2.16", "mail.example.com");
    assertThat(generic.codes()).contains("ptr.generic", "ehlo.address-mismatch", "ehlo.ptr-mismatch");
    for (Finding f : generic.findings()) {
      if (f.code().startsWith("ehlo.")) {
        assertThat(f.fix()).as(f.code()).doesNotContain("smtp_helo_name = static-").doesNotContain("PTR name static-");
      }
    }
    assertThat(fix(generic, "ehlo.ptr-mismatch")).contains("changed to PTR mail.example.com");
    assertThat(fix(check("192.0.2.16", "localhost"), "ehlo.invalid")).contains("mail.your-domain.example")
        .doesNotContain("static-192-0-2-16");
    // .11: other.example.com does not resolve back to .11, so it is no EHLO name for .11 either.
    assertThat(fix(check("192.0.2.11", "localhost"), "ehlo.invalid")).doesNotContain("other.example.com");
  }

  private static String fix(IdentityReport r, String code) {
    return r.findings().stream().filter(f -> f.code().equals(code)).findFirst()
        .orElseThrow(() -> new AssertionError(code + " not in " + r.codes())).fix();
  }

  @Test
  void servfailIsUnknownNeverMissing() throws Exception {
    try (TestDnsServer s = withZones(TestDnsServer.start()).fault("10.2.0.192.in-addr.arpa", Fault.SERVFAIL);
         IdentityChecker c = new IdentityChecker(options(s, Duration.ofMillis(500), Duration.ofSeconds(3)), GenericNameClassifier.standard())) {
      IdentityReport r = check(c, "192.0.2.10", "mail.example.com");
      assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
      assertThat(r.codes()).containsExactly("dns.temporary");
      assertThat(r.findings().get(0).evidence().get(0)).contains("SERVFAIL");
      assertThat(r.findings().get(0).fix()).contains("dig @127.0.0.1 -p " + s.address().getPort() + " -x 192.0.2.10");
    }
  }

  @Test
  void silentResolverGivesUnknownWithinTheBudget() throws Exception {
    try (TestDnsServer s = withZones(TestDnsServer.start()).faultAll(Fault.DROP);
         IdentityChecker c = new IdentityChecker(options(s, Duration.ofMillis(300), Duration.ofMillis(1200)), GenericNameClassifier.standard())) {
      long start = System.nanoTime();
      IdentityReport r = check(c, "192.0.2.10", "mail.example.com");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
      assertThat(r.codes()).containsOnly("dns.temporary");
      assertThat(ms).isLessThan(1200 + 1000);
    }
  }

  @Test
  void slowAnswerBeyondTheBudgetIsCutOff() throws Exception {
    try (TestDnsServer s = withZones(TestDnsServer.start()).fault("mail.example.com", Fault.DELAY, 3000);
         IdentityChecker c = new IdentityChecker(options(s, Duration.ofMillis(2500), Duration.ofMillis(800)), GenericNameClassifier.standard())) {
      long start = System.nanoTime();
      IdentityReport r = check(c, "192.0.2.10", "mail.example.com");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1800);
      assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
      assertThat(r.findings().get(0).message()).contains("within the check budget of 800 ms");
    }
  }

  @Test
  void provenFailureStaysAFailureWhenAnotherLookupFails() throws Exception {
    try (TestDnsServer s = withZones(TestDnsServer.start()).fault("mail.example.com", Fault.SERVFAIL);
         IdentityChecker c = new IdentityChecker(options(s, Duration.ofMillis(500), Duration.ofSeconds(3)), GenericNameClassifier.standard())) {
      IdentityReport r = check(c, "192.0.2.13", "mail.example.com");
      assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
      assertThat(r.codes()).containsExactly("ptr.missing", "dns.temporary");
    }
  }

  @Test
  void resolverViewsThatDisagreeAreReported() throws Exception {
    try (TestDnsServer internal = TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.internal-view.zone");
         IdentityChecker c = new IdentityChecker(new DnsOptions(List.of(dns.address()), List.of(internal.address()),
             Duration.ofMillis(500), Duration.ofSeconds(3)), GenericNameClassifier.standard())) {
      IdentityReport r = check(c, "192.0.2.10", "mail.example.com");
      assertThat(r.verdict()).isEqualTo(Verdict.WARN);
      assertThat(r.codes()).containsExactly("resolvers.disagree");
      assertThat(r.findings().get(0).evidence()).anySatisfy(e -> assertThat(e).contains("PTR internal-mail.corp.example.com"));
      // The same zone in both views: no disagreement.
      IdentityReport same = check(c, "192.0.2.14", "mx2.example.com");
      assertThat(same.codes()).doesNotContain("resolvers.disagree");
    }
  }

  @Test
  void aCompareViewThatCannotAnswerHasNoOpinion() throws Exception {
    // A second view that is down must neither invent a disagreement nor turn a pass into unknown:
    // the main resolvers are the ones receivers resemble; the compare view is only a cross-check.
    try (TestDnsServer broken = TestDnsServer.start().faultAll(Fault.SERVFAIL);
         IdentityChecker c = new IdentityChecker(new DnsOptions(List.of(dns.address()), List.of(broken.address()),
             Duration.ofMillis(500), Duration.ofSeconds(3)), GenericNameClassifier.standard())) {
      IdentityReport r = check(c, "192.0.2.10", "mail.example.com");
      assertThat(r.verdict()).isEqualTo(Verdict.PASS);
      assertThat(r.codes()).isEmpty();
    }
  }
}
