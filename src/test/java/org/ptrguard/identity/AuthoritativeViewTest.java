package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.AuthoritativeServers;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.LogCapture;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.TestDnsServer.Fault;

/**
 * The authoritative view (dns.authoritative) against real DNS servers on loopback: one plays the
 * configured caching resolver (its answers carry no AA bit; its zone data is what the cache holds,
 * its TTLs what is left of them), the others are the zones' name servers on 127.0.0.2-4, all on
 * one port, the test's dns.authoritative-port. The NS records the resolver gives lead to them.
 */
class AuthoritativeViewTest {
  private static final String REVERSE = "2.0.192.in-addr.arpa";

  @TempDir Path dir;
  private TestDnsServer resolver;
  /** ns1.isp.example.net (127.0.0.2) and ns2 (127.0.0.3) serve the reverse zone, ns1.example.com (127.0.0.4) example.com. */
  private List<TestDnsServer> servers;
  private IdentityChecker checker;

  @BeforeEach
  void start() throws IOException {
    resolver = TestDnsServer.start().authoritative(false);
    servers = TestDnsServer.startOnSamePort(List.of("127.0.0.2", "127.0.0.3", "127.0.0.4"));
    resolver.zone("isp.example.net", zone("isp.example.net", 600, "ns1 IN A 127.0.0.2", "ns2 IN A 127.0.0.3"));
    resolver.zone("example.com", zone("example.com", 60, "ns1 IN A 127.0.0.4", "mail IN A 192.0.2.10",
        "old IN A 192.0.2.10"));
    servers.get(2).zone("example.com", zone("example.com", 60, "ns1 IN A 127.0.0.4", "mail IN A 192.0.2.10",
        "old IN A 192.0.2.10"));
    checker = checker(Duration.ofMillis(500), Duration.ofSeconds(3));
  }

  @AfterEach
  void stop() {
    checker.close();
    resolver.close();
    servers.forEach(TestDnsServer::close);
  }

  private IdentityChecker checker(Duration timeout, Duration budget) {
    int port = servers.get(0).address().getPort();
    return new IdentityChecker(new DnsOptions(List.of(resolver.address()), List.of(), timeout, budget)
        .withAuthoritativePort(port), GenericNameClassifier.standard());
  }

  /** A zone file: SOA with the given TTL and minimum (so both are the negative-caching time), NS and the lines. */
  private Path zone(String origin, long soaTtlAndMinimum, String... lines) throws IOException {
    StringBuilder z = new StringBuilder("$ORIGIN " + origin + ".\n$TTL 300\n@ " + soaTtlAndMinimum
        + " IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 " + soaTtlAndMinimum + "\n");
    if (origin.equals(REVERSE)) {
      z.append("@ IN NS ns1.isp.example.net.\n@ IN NS ns2.isp.example.net.\n");
    } else if (origin.equals("example.com")) {
      z.append("@ IN NS ns1.example.com.\n");
    } else {
      z.append("@ IN NS ns1.isp.example.net.\n");
    }
    for (String line : lines) {
      z.append(line).append('\n');
    }
    Path file = Files.createTempFile(dir, origin, ".zone");
    Files.writeString(file, z.toString());
    return file;
  }

  /** What the resolver has cached for the reverse zone (negative answers: 90 s left). */
  private void cached(String... lines) throws IOException {
    resolver.zone(REVERSE, zone(REVERSE, 90, lines));
  }

  /** What the reverse zone's servers answer now (negative-caching time 120 s). */
  private void authoritative(String... lines) throws IOException {
    Path file = zone(REVERSE, 120, lines);
    servers.get(0).zone(REVERSE, file);
    servers.get(1).zone(REVERSE, file);
  }

  private IdentityReport check(IdentityChecker c, String ip) throws Exception {
    return c.check(new Identity("default", InetAddress.getByName(ip), "mail.example.com", false))
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static Finding propagating(IdentityReport r) {
    return r.findings().stream().filter(f -> f.code().equals("dns.propagating")).findFirst().orElseThrow(
        () -> new AssertionError("no dns.propagating in " + r.findings()));
  }

  @Test
  void agreeingAnswersPassWithoutAFindingAfterAskingTheZonesServers() throws Exception {
    cached("10 IN PTR mail.example.com.");
    authoritative("10 IN PTR mail.example.com.");
    IdentityReport r = check(checker, "192.0.2.10");
    assertThat(r.verdict()).as(r.findings().toString()).isEqualTo(Verdict.PASS);
    assertThat(r.findings()).isEmpty();
    assertThat(servers.get(0).queries() + servers.get(1).queries()).as("reverse zone's servers asked").isPositive();
    assertThat(servers.get(2).queries()).as("example.com's server asked").isPositive();
  }

  @Test
  void newPtrOnTheAuthoritativeServersIsPropagatingAndJudged() throws Exception {
    cached("10 250 IN PTR old.example.com.");
    authoritative("10 3600 IN PTR mail.example.com.");
    IdentityReport r = check(checker, "192.0.2.10");
    Finding f = propagating(r);
    assertThat(f.severity()).isEqualTo(Verdict.WARN);
    assertThat(f.message()).contains("the authoritative servers answer PTR mail.example.com; the resolver caches"
        + " PTR old.example.com for another 250 s");
    assertThat(f.evidence()).anyMatch(e -> e.contains("authoritative mail.example.com.") && e.contains("127.0.0.")
        && e.contains("ttl 3600"));
    // The verdict judges the authoritative answer (the state after the change): no other finding.
    assertThat(r.ptrNames()).containsExactly("mail.example.com");
    assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    assertThat(r.codes()).containsExactly("dns.propagating");
    // Valid until the resolver's copy expires: then the check sees the new answer.
    assertThat(r.minTtl()).isLessThanOrEqualTo(Duration.ofSeconds(250));
  }

  @Test
  void cachedNoPtrNamesTheZonesNegativeCachingTime() throws Exception {
    cached();
    authoritative("10 IN PTR mail.example.com.");
    IdentityReport r = check(checker, "192.0.2.10");
    Finding f = propagating(r);
    assertThat(f.message()).contains("the authoritative servers answer PTR mail.example.com; the resolver caches no PTR"
        + " for another 90 s").contains("keep rejecting for up to 120 s").contains(REVERSE + ".");
    assertThat(r.codes()).doesNotContain("ptr.missing");
    assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    assertThat(r.minTtl()).isLessThanOrEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void aPtrRemovedOnTheAuthoritativeServersFailsWhileTheResolverStillHasIt() throws Exception {
    cached("10 IN PTR mail.example.com.");
    authoritative();
    IdentityReport r = check(checker, "192.0.2.10");
    // Never a pass from a stale cache: receivers get the missing PTR as their copies expire.
    assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(r.codes()).contains("ptr.missing", "dns.propagating");
    assertThat(propagating(r).message()).contains("the authoritative servers answer no PTR; the resolver caches PTR"
        + " mail.example.com for another 300 s").contains("cache it for 120 s");
  }

  @Test
  void aForwardRecordChangeIsPropagatingToo() throws Exception {
    cached("10 IN PTR mail.example.com.");
    authoritative("10 IN PTR mail.example.com.");
    resolver.zone("example.com", zone("example.com", 60, "ns1 IN A 127.0.0.4", "mail 200 IN A 192.0.2.99"));
    IdentityReport r = check(checker, "192.0.2.10");
    assertThat(propagating(r).message()).contains("(A of mail.example.com)")
        .contains("the authoritative servers answer A 192.0.2.10; the resolver caches A 192.0.2.99 for another 200 s");
    assertThat(r.codes()).doesNotContain("fcrdns.mismatch");
  }

  @Test
  void lameServersLeaveTheResolversVerdictAndAreLogged() throws Exception {
    cached("10 IN PTR old.example.com.");
    authoritative("10 IN PTR mail.example.com.");
    servers.get(0).authoritative(false); // answers from "its cache", without AA
    servers.get(1).removeZone(REVERSE); // REFUSED
    try (LogCapture log = LogCapture.start()) {
      IdentityReport r = check(checker, "192.0.2.10");
      assertThat(r.codes()).doesNotContain("dns.propagating");
      assertThat(r.ptrNames()).containsExactly("old.example.com");
      assertThat(r.codes()).as("the resolver's answer judged").containsExactly("ehlo.ptr-mismatch");
      String line = String.join("\n", log.linesContaining("event=authoritative-view"));
      assertThat(line).contains("ip=192.0.2.10").contains("outcome=incomplete").contains("without the AA bit")
          .contains("REFUSED").contains("no server of " + REVERSE + ". answered authoritatively");
    }
  }

  @Test
  void oneLameServerOfTwoStillGivesTheAuthoritativeView() throws Exception {
    cached("10 IN PTR old.example.com.");
    authoritative("10 IN PTR mail.example.com.");
    servers.get(0).authoritative(false);
    IdentityReport r = check(checker, "192.0.2.10");
    assertThat(propagating(r).message()).contains("answer PTR mail.example.com");
  }

  @Test
  void unreachableServersCostOnlyTheirDeadlineNeverTheVerdict() throws Exception {
    cached("10 IN PTR old.example.com.");
    authoritative("10 IN PTR mail.example.com.");
    servers.get(0).faultAll(Fault.DROP);
    servers.get(1).close(); // nothing listens on 127.0.0.3 any more
    try (LogCapture log = LogCapture.start()) {
      IdentityReport r = check(checker, "192.0.2.10");
      // The resolver's answer is judged; the check did not run out of its budget (that would be UNKNOWN).
      assertThat(r.codes()).as(r.findings().toString()).containsExactly("ehlo.ptr-mismatch");
      assertThat(String.join("\n", log.linesContaining("event=authoritative-view"))).contains("timeout");
    }
    cached();
    IdentityReport missing = check(checker, "192.0.2.10");
    assertThat(missing.verdict()).as("no wrong pass when the servers are unreachable").isEqualTo(Verdict.FAIL);
    assertThat(missing.codes()).contains("ptr.missing").doesNotContain("dns.propagating");
  }

  @Test
  void aDelegationThatLoopsEndsAsLameServersAfterOneQuestionEach() throws Exception {
    cached("10 IN PTR old.example.com.");
    // ns1 says "ask ns2", ns2 says "ask ns1": referrals are never followed.
    servers.get(0).zone("0.192.in-addr.arpa", zone("0.192.in-addr.arpa", 120, "2 IN NS ns2.isp.example.net."));
    servers.get(1).zone("0.192.in-addr.arpa", zone("0.192.in-addr.arpa", 120, "2 IN NS ns1.isp.example.net."));
    try (LogCapture log = LogCapture.start()) {
      IdentityReport r = check(checker, "192.0.2.10");
      assertThat(r.codes()).containsExactly("ehlo.ptr-mismatch");
      assertThat(String.join("\n", log.linesContaining("event=authoritative-view"))).contains("referral");
    }
    assertThat(servers.get(0).queries()).isEqualTo(1);
    assertThat(servers.get(1).queries()).isEqualTo(1);
  }

  @Test
  void anIpv6IdentityIsComparedInItsIp6ArpaZone() throws Exception {
    String v6 = "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    String owner = "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0";
    resolver.zone(v6, zone(v6, 90));
    servers.get(0).zone(v6, zone(v6, 120, owner + " IN PTR mail.example.com."));
    for (TestDnsServer s : List.of(resolver, servers.get(2))) {
      s.zone("example.com", zone("example.com", 60, "ns1 IN A 127.0.0.4", "mail IN AAAA 2001:db8::10"));
    }
    IdentityReport r = check(checker, "2001:db8::10");
    assertThat(propagating(r).message()).contains("PTR of 2001:db8::10").contains("resolver caches no PTR for another 90 s")
        .contains("up to 120 s");
    assertThat(r.codes()).containsExactly("dns.propagating");
  }

  @Test
  void nameServersWithoutAddressesAreAProblemLineNotAFailure() throws Exception {
    cached();
    authoritative("10 IN PTR mail.example.com.");
    resolver.fault("ns1.isp.example.net", Fault.SERVFAIL).fault("ns2.isp.example.net", Fault.SERVFAIL);
    try (LogCapture log = LogCapture.start()) {
      IdentityReport r = check(checker, "192.0.2.10");
      assertThat(r.codes()).as("the resolver's answer judged").contains("ptr.missing").doesNotContain("dns.propagating");
      assertThat(String.join("\n", log.linesContaining("event=authoritative-view")))
          .contains("ns1.isp.example.net.: no address through the resolver");
    }
    assertThat(servers.get(0).queries() + servers.get(1).queries()).isZero();
  }

  @Test
  void aHugeNsSetIsCutToAFewServersAndABoundedNumberOfQuestions() throws Exception {
    List<String> reverse = new ArrayList<>();
    List<String> isp = new ArrayList<>();
    for (int i = 1; i <= 24; i++) { // 26 with the zone's usual two
      reverse.add(String.format("@ IN NS ns%02d.isp.example.net.", i));
      isp.add(String.format("ns%02d IN A 127.0.0.%d", i, 10 + i)); // nothing listens there
      isp.add(String.format("ns%02d IN AAAA ::1", i)); // a second address each, the same for all
    }
    reverse.add("10 IN PTR mail.example.com.");
    resolver.zone(REVERSE, zone(REVERSE, 90, reverse.toArray(String[]::new)));
    resolver.zone("isp.example.net", zone("isp.example.net", 600, isp.toArray(String[]::new)));
    long before = resolver.queries();
    try (IdentityChecker without = new IdentityChecker(new DnsOptions(List.of(resolver.address()), List.of(),
        Duration.ofMillis(500), Duration.ofSeconds(3)), GenericNameClassifier.standard())) {
      assertThat(check(without, "192.0.2.10").verdict()).isEqualTo(Verdict.PASS);
    }
    long plain = resolver.queries() - before;
    try (LogCapture log = LogCapture.start()) {
      before = resolver.queries();
      IdentityReport r = check(checker, "192.0.2.10");
      long withView = resolver.queries() - before;
      assertThat(r.verdict()).as(r.findings().toString()).isEqualTo(Verdict.PASS);
      System.out.println("authoritative view with 26 NS names: resolver questions " + plain + " without, " + withView
          + " with; direct questions to the zones' servers " + servers.stream().mapToLong(TestDnsServer::queries).sum());
      // Reverse zone: A and AAAA of 4 NS names (the NS set itself is the check's own lookup);
      // example.com: its SOA, NS, and A and AAAA of its one name server.
      assertThat(withView - plain).isLessThanOrEqualTo(2L * AuthoritativeServers.MAX_NAME_SERVERS + 4);
      assertThat(String.join("\n", log.linesContaining("event=authoritative-view")))
          .contains("has 26 NS names; asking only 4").contains("port unreachable");
    }
  }
}
