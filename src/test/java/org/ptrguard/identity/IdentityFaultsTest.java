package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.testing.FaultZones;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.ptrguard.testing.TestDnsServer;

/** Whole identity checks while DNS misbehaves: the verdict says what is known, and no more. */
class IdentityFaultsTest {
  // Generous for a loaded 2-core CI machine: a cold in-process answer once took over 300 ms.
  static final Duration TIMEOUT = Duration.ofMillis(1000);
  static final Duration BUDGET = Duration.ofSeconds(3);
  static final String MAIL = "mail." + FaultZones.FORWARD;

  @TempDir
  static Path zones;
  static TestDnsServer dns;
  static IdentityChecker checker;

  @BeforeAll
  static void start() throws Exception {
    dns = FaultZones.load(TestDnsServer.start(), zones);
    checker = new IdentityChecker(new DnsOptions(List.of(dns.address()), List.of(), TIMEOUT, BUDGET),
        GenericNameClassifier.standard());
  }

  @AfterEach
  void clearFaults() {
    dns.clearFaults();
  }

  @AfterAll
  static void stop() {
    checker.close();
    dns.close();
  }

  static IdentityReport check(IdentityChecker c, String ip, String ehlo) throws Exception {
    return c.check(new Identity("default", InetAddress.getByName(ip), ehlo, false)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void controlCasePasses() throws Exception {
    assertThat(check(checker, "198.51.100.10", MAIL).verdict()).isEqualTo(Verdict.PASS);
  }

  @Test
  void truncatedPtrAnswerIsFetchedOverTcpAndPasses() throws Exception {
    dns.fault("10." + FaultZones.REVERSE, Fault.TRUNCATE);
    long tcp = dns.tcpQueries();
    IdentityReport r = check(checker, "198.51.100.10", MAIL);
    assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    assertThat(r.ptrNames()).containsExactly(MAIL);
    assertThat(dns.tcpQueries()).isGreaterThan(tcp);
  }

  @Test
  void fortyPtrNamesAreReportedAndOnlyAFewAreChased() throws Exception {
    String first = FaultZones.longName(0);
    long before = dns.queries();
    IdentityReport r = check(checker, "198.51.100.40", first);
    long asked = dns.queries() - before;
    assertThat(r.ptrNames()).hasSize(FaultZones.MANY_PTRS);
    assertThat(r.codes()).contains("ptr.multiple");
    assertThat(r.findings()).filteredOn(f -> f.code().equals("ptr.multiple")).singleElement()
        .satisfies(f -> assertThat(f.message()).contains("has 40 PTR records"));
    // host-00 resolves back, so the address is forward-confirmed; multiple PTRs are a warning.
    assertThat(r.verdict()).as(r.findings().toString()).isEqualTo(Verdict.WARN);
    assertThat(r.codes()).doesNotContain("fcrdns.no-address", "fcrdns.mismatch");
    // Forward lookups stop at a handful of names, not one per PTR record.
    assertThat(asked).as("DNS questions for one check").isLessThan(20);
  }

  @Test
  void verdictDoesNotDependOnTheOrderTheServerRotatesTheRecordsInto() throws Exception {
    // The test server cycles RRset order like real servers; only one of the 40 names resolves back.
    java.util.Set<String> outcomes = new java.util.HashSet<>();
    for (int i = 0; i < 10; i++) {
      IdentityReport r = check(checker, "198.51.100.40", FaultZones.longName(0));
      outcomes.add(r.verdict() + " " + r.codes() + " " + r.findings().stream().map(Finding::message).toList());
    }
    assertThat(outcomes).hasSize(1);
  }

  @Test
  void ptrOwnerInACnameLoopIsUnknownNeverMissing() throws Exception {
    IdentityReport r = check(checker, "198.51.100.42", MAIL);
    assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
    assertThat(r.codes()).contains("dns.temporary").doesNotContain("ptr.missing");
    assertThat(r.findings().get(0).evidence()).anySatisfy(e -> assertThat(e).containsIgnoringCase("cname"));
  }

  @Test
  void ehloBehindAnOverlongCnameChainIsNotTakenAsAnAddress() throws Exception {
    IdentityReport r = check(checker, "198.51.100.10", "chain9-0." + FaultZones.FORWARD);
    assertThat(r.verdict()).isNotEqualTo(Verdict.PASS);
  }

  @Test
  void resolverDownIsUnknownQuickly() throws Exception {
    int port = FreePorts.closedUdp(); // nothing listens there: every query meets a closed port
    try (IdentityChecker down = new IdentityChecker(new DnsOptions(
        List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)), List.of(), TIMEOUT, BUDGET),
        GenericNameClassifier.standard())) {
      long t0 = System.nanoTime();
      IdentityReport r = check(down, "198.51.100.10", MAIL);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
      assertThat(r.codes()).containsOnly("dns.temporary");
      assertThat(ms).isLessThanOrEqualTo(BUDGET.toMillis() + 500);
    }
  }

  @Test
  void servfailAndSlowAnswersAreUnknown() throws Exception {
    dns.faultAll(Fault.SERVFAIL);
    assertThat(check(checker, "198.51.100.10", MAIL).verdict()).isEqualTo(Verdict.UNKNOWN);
    dns.clearFaults().fault("10." + FaultZones.REVERSE, Fault.DELAY, 2500);
    IdentityReport slow = check(checker, "198.51.100.10", MAIL);
    assertThat(slow.verdict()).isEqualTo(Verdict.UNKNOWN);
    assertThat(slow.codes()).contains("dns.temporary").doesNotContain("ptr.missing");
  }
}
