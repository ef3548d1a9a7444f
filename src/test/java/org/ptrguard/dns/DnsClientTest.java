package org.ptrguard.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.TestDnsServer;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Type;

/** DnsClient against a real DNS server on loopback: every outcome the identity checks rely on. */
class DnsClientTest {
  static TestDnsServer server;
  static ExecutorService executor = Executors.newFixedThreadPool(2);
  static DnsCounters counters = new DnsCounters();
  static DnsClient client;

  @BeforeAll
  static void start() throws Exception {
    server = TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone")
        .fault("servfail.example.com", Fault.SERVFAIL)
        .fault("silent.example.com", Fault.DROP);
    client = new DnsClient(List.of(server.address()), Duration.ofMillis(500), executor, counters);
  }

  @AfterAll
  static void stop() {
    server.close();
    executor.shutdownNow();
  }

  private static DnsOutcome ask(String name, int type) throws Exception {
    return client.lookup(Name.fromString(name), type).get(10, TimeUnit.SECONDS);
  }

  @Test
  void answerCarriesRecordsTtlAndResolver() throws Exception {
    DnsOutcome o = ask("10.2.0.192.in-addr.arpa.", Type.PTR);
    assertThat(o).isInstanceOfSatisfying(DnsOutcome.Answer.class, a -> {
      assertThat(a.records()).singleElement().satisfies(r ->
          assertThat(((PTRRecord) r).getTarget().toString()).isEqualTo("mail.example.com."));
      assertThat(a.minTtl()).isEqualTo(3600);
      assertThat(a.resolver()).isEqualTo("127.0.0.1:" + server.address().getPort());
    });
    assertThat(o.isTemporary()).isFalse();
  }

  @Test
  void nxdomainAndNodataAreFactsWithNegativeTtl() throws Exception {
    DnsOutcome nx = ask("13.2.0.192.in-addr.arpa.", Type.PTR);
    assertThat(nx).isInstanceOfSatisfying(DnsOutcome.NxDomain.class, n -> {
      assertThat(n.negativeTtl()).isEqualTo(120);
      assertThat(n.zone()).isEqualTo("2.0.192.in-addr.arpa.");
    });
    assertThat(nx.isTemporary()).isFalse();
    DnsOutcome nodata = ask("18.2.0.192.in-addr.arpa.", Type.PTR);
    assertThat(nodata).isInstanceOf(DnsOutcome.NoData.class);
    assertThat(nodata.isTemporary()).isFalse();
    assertThat(ask("txtonly.example.com.", Type.A)).isInstanceOf(DnsOutcome.NoData.class);
  }

  @Test
  void servfailAndSilenceAreTemporary() throws Exception {
    DnsOutcome sf = ask("servfail.example.com.", Type.A);
    assertThat(sf).isInstanceOf(DnsOutcome.ServFail.class);
    assertThat(sf.isTemporary()).isTrue();
    long start = System.nanoTime();
    DnsOutcome to = ask("silent.example.com.", Type.A);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(to).isInstanceOf(DnsOutcome.Timeout.class);
    assertThat(to.isTemporary()).isTrue();
    assertThat(ms).isBetween(400L, 2_500L);
  }

  @Test
  void refusedZoneIsATemporaryFailure() throws Exception {
    DnsOutcome o = ask("mail.example.org.", Type.A);
    assertThat(o).isInstanceOfSatisfying(DnsOutcome.Failure.class, f -> assertThat(f.reason()).contains("REFUSED"));
  }

  @Test
  void cnameChainsAreFollowedAndLoopsStopped() throws Exception {
    assertThat(ask("alias.example.com.", Type.A)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a -> {
      assertThat(((ARecord) a.records().get(0)).getAddress().getHostAddress()).isEqualTo("192.0.2.10");
      assertThat(a.aliases()).containsExactly("alias.example.com. CNAME mail.example.com. (ttl 300)");
    });
    assertThat(ask("15.2.0.192.in-addr.arpa.", Type.PTR)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a ->
        assertThat(((PTRRecord) a.records().get(0)).getTarget().toString()).isEqualToIgnoringCase("mx3.example.com."));
    assertThat(ask("loop1.example.com.", Type.A)).isInstanceOfSatisfying(DnsOutcome.Failure.class,
        f -> assertThat(f.reason()).containsIgnoringCase("cname"));
  }

  @Test
  void truncatedUdpAnswerIsRetriedOverTcp() throws Exception {
    assertThat(ask("big.example.com.", Type.A)).isInstanceOfSatisfying(DnsOutcome.Answer.class,
        a -> assertThat(a.records()).hasSize(32));
  }

  @Test
  void outcomesAreCounted() throws Exception {
    long before = counters.total();
    ask("13.2.0.192.in-addr.arpa.", Type.PTR);
    assertThat(counters.total()).isEqualTo(before + 1);
    assertThat(counters.counts()).containsKey("nxdomain");
  }
}
