package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.TestDnsServer;

/**
 * PTR names receivers cannot use (ptr.not-public) and the generic-ptr levels, checked against the
 * in-process DNS server acting as a local resolver that does answer for private names: the finding
 * must not depend on what a local resolver says.
 */
class PtrNamesTest {
  @TempDir
  static Path zones;
  static TestDnsServer dns;
  static IdentityChecker checker;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(zones.resolve("reverse.zone"), String.join("\n",
        "$ORIGIN 113.0.203.in-addr.arpa.",
        "$TTL 600",
        "@  IN SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 120",
        "@  IN NS  ns1.example.net.",
        "10 IN PTR mail.corp.lan.",
        "11 IN PTR ip-10-0-0-11.ec2.internal.",
        "12 IN PTR 12.113.0.203.in-addr.arpa.",
        "13 IN PTR mailhost.",
        "14 IN PTR mail.example.com.",
        "15 IN PTR mail.corp.lan.",
        "15 IN PTR mail.example.com.",
        "16 IN PTR static-203-0-113-16.isp.example.net.",
        ""));
    Files.writeString(zones.resolve("lan.zone"), String.join("\n",
        "$ORIGIN corp.lan.",
        "$TTL 600",
        "@    IN SOA ns1.corp.lan. hostmaster.corp.lan. 1 3600 600 86400 120",
        "@    IN NS  ns1.corp.lan.",
        "mail IN A   203.0.113.10",
        "mail IN A   203.0.113.15",
        ""));
    Files.writeString(zones.resolve("internal.zone"), String.join("\n",
        "$ORIGIN ec2.internal.",
        "$TTL 600",
        "@  IN SOA ns1.ec2.internal. hostmaster.ec2.internal. 1 3600 600 86400 120",
        "@  IN NS  ns1.ec2.internal.",
        "ip-10-0-0-11 IN A 203.0.113.11",
        ""));
    Files.writeString(zones.resolve("example.com.zone"), String.join("\n",
        "$ORIGIN example.com.",
        "$TTL 600",
        "@    IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 120",
        "@    IN NS  ns1.example.com.",
        "mail IN A   203.0.113.14",
        "mail IN A   203.0.113.15",
        ""));
    Files.writeString(zones.resolve("isp.zone"), String.join("\n",
        "$ORIGIN isp.example.net.",
        "$TTL 600",
        "@    IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 120",
        "@    IN NS  ns1.isp.example.net.",
        "static-203-0-113-16 IN A 203.0.113.16",
        ""));
    dns = TestDnsServer.start()
        .zone("113.0.203.in-addr.arpa", zones.resolve("reverse.zone"))
        .zone("corp.lan", zones.resolve("lan.zone"))
        .zone("ec2.internal", zones.resolve("internal.zone"))
        .zone("example.com", zones.resolve("example.com.zone"))
        .zone("isp.example.net", zones.resolve("isp.zone"));
    checker = new IdentityChecker(new DnsOptions(List.of(dns.address()), List.of(), Duration.ofMillis(500),
        Duration.ofSeconds(3)), GenericNameClassifier.standard());
  }

  @AfterAll
  static void stop() {
    checker.close();
    dns.close();
  }

  private static IdentityReport check(String ip, Identity.GenericPtr generic) throws Exception {
    return check(ip, "mail.example.com", generic);
  }

  private static IdentityReport check(String ip, String ehlo, Identity.GenericPtr generic) throws Exception {
    return checker.check(new Identity("default", InetAddress.getByName(ip), ehlo, generic))
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static Finding finding(IdentityReport r, String code) {
    return r.findings().stream().filter(f -> f.code().equals(code)).findFirst().orElseThrow();
  }

  @Test
  void privateNameFailsEvenThoughTheLocalResolverConfirmsIt() throws Exception {
    IdentityReport r = check("203.0.113.10", Identity.GenericPtr.WARN);
    // The local resolver forward-confirms mail.corp.lan: no fcrdns finding, and still a FAIL.
    assertThat(r.codes()).contains("ptr.not-public").doesNotContain("fcrdns.mismatch", "fcrdns.no-address");
    assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
    Finding f = finding(r, "ptr.not-public");
    assertThat(f.severity()).isEqualTo(Verdict.FAIL);
    assertThat(f.message()).contains("mail.corp.lan").contains("cannot resolve");
    assertThat(f.evidence()).anySatisfy(e -> assertThat(e).contains("mail.corp.lan: .lan is"));
    assertThat(f.fix()).contains("10.113.0.203.in-addr.arpa. PTR mail.example.com.")
        .contains("split-horizon").contains(dns.address().getPort() + "");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "203.0.113.11|ip-10-0-0-11.ec2.internal: .internal is reserved by ICANN",
      "203.0.113.12|12.113.0.203.in-addr.arpa: .in-addr.arpa is the IPv4 reverse-mapping tree",
      "203.0.113.13|mailhost: 'mailhost' is a single label"})
  void reservedReverseTreeAndSingleLabelNamesAreNotPublic(String ip, String evidence) throws Exception {
    IdentityReport r = check(ip, Identity.GenericPtr.WARN);
    assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(finding(r, "ptr.not-public").evidence()).anySatisfy(e -> assertThat(e).contains(evidence));
  }

  @Test
  void onePrivateNameAmongSeveralStillFails() throws Exception {
    // Receivers may use either name; the public one confirms, the private one never can.
    IdentityReport r = check("203.0.113.15", Identity.GenericPtr.WARN);
    assertThat(r.codes()).contains("ptr.not-public", "ptr.multiple");
    assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  void publicNameHasNoSuchFinding() throws Exception {
    IdentityReport r = check("203.0.113.14", Identity.GenericPtr.WARN);
    assertThat(r.codes()).isEmpty();
    assertThat(r.verdict()).isEqualTo(Verdict.PASS);
  }

  @Test
  void genericPtrOffWarnFail() throws Exception {
    // EHLO = the PTR name, so that the generic finding is the only one there can be.
    String ehlo = "static-203-0-113-16.isp.example.net";
    IdentityReport off = check("203.0.113.16", ehlo, Identity.GenericPtr.OFF);
    assertThat(off.codes()).isEmpty();
    assertThat(off.verdict()).isEqualTo(Verdict.PASS);
    IdentityReport warn = check("203.0.113.16", ehlo, Identity.GenericPtr.WARN);
    assertThat(warn.codes()).containsExactly("ptr.generic");
    assertThat(finding(warn, "ptr.generic").severity()).isEqualTo(Verdict.WARN);
    assertThat(finding(warn, "ptr.generic").evidence()).containsExactly(
        "'static-203-0-113-16.isp' spells the address 203.0.113.16 dashed ('203-0-113-16')");
    IdentityReport fail = check("203.0.113.16", ehlo, Identity.GenericPtr.FAIL);
    assertThat(finding(fail, "ptr.generic").severity()).isEqualTo(Verdict.FAIL);
    assertThat(fail.verdict()).isEqualTo(Verdict.FAIL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "mx.localdomain", "printer.local", "nas.home.arpa", "srv.home", "dc1.corp",
      "mail.test", "mail.example", "x.invalid", "abc.onion", "host.intranet", "mail.mail", "MAIL.CORP.LAN."})
  void specialUseAndPrivateSuffixesAreNotPublic(String name) {
    assertThat(HostNames.notPublic(name)).as(name).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mail.example.com", "mx1.example.org", "smtp.example.co.uk", "mail.example.net.",
      "mail.arpa-consulting.com", "relay.local-bank.example.com", "mail.lan.example.net"})
  void publicNamesAre(String name) {
    assertThat(HostNames.notPublic(name)).as(name).isEmpty();
  }

  @Test
  void topLevelDomainsUnknownToThePublicSuffixListAreNotPublic() {
    assumeTrue(PublicSuffixes.system().knowsTopLevelDomain("com").isPresent(),
        "needs Debian's publicsuffix package (.ci/install-deps)");
    assertThat(HostNames.notPublic("mail.example.zz-not-a-tld")).hasValueSatisfying(
        why -> assertThat(why).contains(".zz-not-a-tld is not a top-level domain"));
    assertThat(HostNames.notPublic("mail.example.ck")).isEmpty(); // a wildcard-only TLD (*.ck) is still delegated
  }
}
