package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.dns.EgressQuery;
import org.ptrguard.testing.TestDnsServer;

/**
 * egress.discover = dns against the in-process DNS server answering like Google's
 * o-o.myaddr.l.google.com (TXT) and OpenDNS's myip.opendns.com (A): with the question's source
 * address, which the identity's address is bound to (127.0.0.2 on loopback). A mapping stands in
 * for the NAT between the host and the server.
 */
class EgressDiscoveryTest {
  private static final String GOOGLE_NAME = "o-o.myaddr.l.google.com";
  private static final String OPENDNS_NAME = "myip.opendns.com";

  @TempDir
  Path dir;
  private TestDnsServer dns;
  private IdentityChecker checker;

  @AfterEach
  void stop() {
    if (checker != null) {
      checker.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  private IdentityReport check(String name, UnaryOperator<String> nat, EgressQuery.Kind kind, String server) throws Exception {
    Files.writeString(dir.resolve("example.com.zone"), String.join("\n",
        "$ORIGIN example.com.",
        "$TTL 600",
        "@   IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 120",
        "@   IN NS  ns1.example.com.",
        "ns1 IN A   127.0.0.1",
        ""));
    dns = TestDnsServer.start().zone("example.com", dir.resolve("example.com.zone")).whatIsMyAddress(name, nat);
    EgressQuery query = new EgressQuery(server, dns.address().getPort(), name, kind);
    checker = new IdentityChecker(new DnsOptions(List.of(dns.address()), List.of(), Duration.ofMillis(500),
        Duration.ofSeconds(3), Optional.of(query)), GenericNameClassifier.standard());
    return checker.check(new Identity("default", InetAddress.getByName("127.0.0.2"), "mail.example.com", false))
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static Optional<Finding> nat(IdentityReport r) {
    return r.findings().stream().filter(f -> f.code().equals("egress.nat")).findFirst();
  }

  @Test
  void googleStyleTxtAnswerBehindNat() throws Exception {
    IdentityReport r = check(GOOGLE_NAME, seen -> seen.equals("127.0.0.2") ? "203.0.113.7" : "wrong source " + seen,
        EgressQuery.Kind.TXT, "127.0.0.1");
    Finding f = nat(r).orElseThrow(() -> new AssertionError("no egress.nat in " + r.codes()));
    assertThat(f.severity()).isEqualTo(Verdict.WARN);
    assertThat(f.message()).isEqualTo("receivers see 203.0.113.7, not 127.0.0.2 (NAT): the checks of 127.0.0.2 are"
        + " not what receivers judge");
    // The question left from the identity's own address: the server saw 127.0.0.2, mapped by the "NAT".
    assertThat(f.evidence()).singleElement().satisfies(e -> assertThat(e)
        .contains("asked o-o.myaddr.l.google.com TXT at 127.0.0.1:" + dns.address().getPort() + " from 127.0.0.2")
        .endsWith(": 203.0.113.7"));
    assertThat(f.fix()).contains("ip = [\"203.0.113.7\"]").contains("ptrguard check --ip 203.0.113.7");
  }

  @Test
  void openDnsStyleAddressAnswerAndAServerGivenByName() throws Exception {
    IdentityReport r = check(OPENDNS_NAME, seen -> seen.equals("127.0.0.2") ? "198.51.100.20" : seen,
        EgressQuery.Kind.ADDRESS, "ns1.example.com");
    Finding f = nat(r).orElseThrow(() -> new AssertionError("no egress.nat in " + r.codes()));
    assertThat(f.message()).startsWith("receivers see 198.51.100.20, not 127.0.0.2");
    assertThat(f.evidence().get(0)).contains("myip.opendns.com A at 127.0.0.1:").contains("198.51.100.20");
  }

  @Test
  void noNatNoFinding() throws Exception {
    IdentityReport r = check(GOOGLE_NAME, UnaryOperator.identity(), EgressQuery.Kind.TXT, "127.0.0.1");
    assertThat(nat(r)).isEmpty();
    assertThat(dns.queries()).isPositive();
  }

  @Test
  void anAnswerThatIsNoAddressIsNoFindingAndNoCrash() throws Exception {
    for (String answer : List.of("edns0-client-subnet 0.0.0.0/0", "", "203.0.113", "::zz", "x".repeat(255))) {
      IdentityReport r = check(GOOGLE_NAME, seen -> answer, EgressQuery.Kind.TXT, "127.0.0.1");
      assertThat(nat(r)).as(answer).isEmpty();
      // The rest of the check ran as usual: the PTR of 127.0.0.2 was looked up and judged.
      assertThat(r.codes()).as(answer).isNotEmpty().doesNotContain("egress.nat");
      stop();
    }
  }

  @Test
  void aSilentOrMissingServerIsNoFinding() throws Exception {
    IdentityReport unknownName = check(GOOGLE_NAME, seen -> "203.0.113.7", EgressQuery.Kind.TXT, "nowhere.example.com");
    assertThat(nat(unknownName)).isEmpty();
    stop();
    IdentityReport noAddress = check(OPENDNS_NAME, seen -> "not an address", EgressQuery.Kind.ADDRESS, "127.0.0.1");
    assertThat(nat(noAddress)).isEmpty();
  }
}
