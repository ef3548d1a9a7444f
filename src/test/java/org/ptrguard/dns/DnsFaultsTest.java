package org.ptrguard.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.FaultZones;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.ptrguard.testing.TestDnsServer;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** DnsClient against a real DNS server misbehaving in each way a resolver can. */
class DnsFaultsTest {
  /** The timeout of the tests that are about timing out. */
  static final Duration TIMEOUT = Duration.ofMillis(300);
  /**
   * The timeout of the tests that expect an answer (or a failure the answer shows): an in-process
   * server answers in a millisecond, but on a loaded machine a 300 ms timeout sometimes ran out
   * first, and the test saw a Timeout instead of what it was about.
   */
  static final Duration PATIENT = Duration.ofSeconds(5);

  @TempDir
  static Path zones;
  static TestDnsServer server;
  static ExecutorService executor;
  static DnsClient client;
  static DnsClient impatient;

  @BeforeAll
  static void start() throws Exception {
    server = FaultZones.load(TestDnsServer.start(), zones);
    executor = Executors.newFixedThreadPool(2); // here, not at class load: stop() shuts it down
    client = new DnsClient(List.of(server.address()), PATIENT, executor, new DnsCounters());
    impatient = new DnsClient(List.of(server.address()), TIMEOUT, executor, new DnsCounters());
  }

  @AfterEach
  void clearFaults() {
    server.clearFaults();
  }

  @AfterAll
  static void stop() {
    server.close();
    executor.shutdownNow();
  }

  private static DnsOutcome ask(DnsClient c, String name, int type) throws Exception {
    return c.lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type).get(10, TimeUnit.SECONDS);
  }

  private static DnsOutcome ask(String name, int type) throws Exception {
    return ask(client, name, type);
  }

  private static long millisSince(long t0) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  @Test
  void truncatedUdpAnswerIsAskedAgainOverTcp() throws Exception {
    server.fault("mail." + FaultZones.FORWARD, Fault.TRUNCATE);
    long tcpBefore = server.tcpQueries();
    assertThat(ask("mail." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a ->
        assertThat(((ARecord) a.records().get(0)).getAddress().getHostAddress()).isEqualTo("198.51.100.10"));
    assertThat(server.tcpQueries()).isEqualTo(tcpBefore + 1);
  }

  @Test
  void replyTruncatedOverUdpAndTcpIsTemporaryNotNoData() throws Exception {
    server.fault("mail." + FaultZones.FORWARD, Fault.TRUNCATE_ALWAYS);
    server.fault("10." + FaultZones.REVERSE, Fault.TRUNCATE_ALWAYS);
    long tcpBefore = server.tcpQueries();
    DnsOutcome forward = ask("mail." + FaultZones.FORWARD, Type.A);
    DnsOutcome reverse = ask("10." + FaultZones.REVERSE, Type.PTR);
    assertThat(server.tcpQueries()).as("both were asked again over TCP").isEqualTo(tcpBefore + 2);
    for (DnsOutcome o : List.of(forward, reverse)) {
      assertThat(o).isInstanceOfSatisfying(DnsOutcome.Failure.class,
          f -> assertThat(f.reason()).contains("truncated"));
      assertThat(o.isTemporary()).isTrue();
    }
  }

  @Test
  void replyWithAWrongTransactionIdIsIgnoredAndTheRealOneAwaited() throws Exception {
    server.fault("mail." + FaultZones.FORWARD, Fault.SPOOF_ID);
    server.fault("10." + FaultZones.REVERSE, Fault.SPOOF_ID);
    assertThat(ask("mail." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a ->
        assertThat(((ARecord) a.records().get(0)).getAddress().getHostAddress()).isEqualTo("198.51.100.10"));
    assertThat(ask("10." + FaultZones.REVERSE, Type.PTR)).isInstanceOf(DnsOutcome.Answer.class);
    assertThat(client.inFlight()).isZero();
  }

  @Test
  void onlySpoofedRepliesEndInATimeoutNotAFailure() throws Exception {
    // The real answer comes after the timeout: the spoofed reply alone must not decide anything.
    DnsClient impatient = new DnsClient(List.of(server.address()), Duration.ofMillis(TestDnsServer.SPOOF_LEAD_MS / 2),
        executor, new DnsCounters());
    server.fault("mail." + FaultZones.FORWARD, Fault.SPOOF_ID);
    assertThat(ask(impatient, "mail." + FaultZones.FORWARD, Type.A)).isInstanceOf(DnsOutcome.Timeout.class);
  }

  @Test
  void fortyPtrRecordsArriveWhole() throws Exception {
    long tcpBefore = server.tcpQueries();
    assertThat(ask("40." + FaultZones.REVERSE, Type.PTR)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a -> {
      assertThat(a.records()).hasSize(FaultZones.MANY_PTRS);
      assertThat(a.records()).extracting(r -> ((PTRRecord) r).getTarget().toString())
          .contains(FaultZones.longName(0) + ".", FaultZones.longName(FaultZones.MANY_PTRS - 1) + ".");
    });
    assertThat(server.tcpQueries()).as("a 3 KB answer does not fit in 512 bytes of UDP").isEqualTo(tcpBefore + 1);
  }

  @Test
  void twentyKilobytesOfTxtArriveWhole() throws Exception {
    assertThat(ask("txt-heavy." + FaultZones.FORWARD, Type.TXT)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a -> {
      assertThat(a.records()).hasSize(FaultZones.TXT_RECORDS);
      assertThat(a.records()).allSatisfy(r -> assertThat(((TXTRecord) r).getStrings().get(0)).hasSize(200));
    });
  }

  @Test
  void cnameChainOfEightIsFollowedAndNineIsRefused() throws Exception {
    assertThat(ask("chain8-0." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a -> {
      assertThat(a.aliases()).hasSize(8);
      assertThat(((ARecord) a.records().get(0)).getAddress().getHostAddress()).isEqualTo("198.51.100.8");
    });
    assertThat(ask("chain9-0." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Failure.class,
        f -> assertThat(f.reason()).contains("CNAME chain longer than 8").doesNotContainIgnoringCase("loop"));
  }

  @Test
  void cnameChainLeavingTheZoneAtEveryHopCountsEachHopOnce() throws Exception {
    long before = server.queries();
    assertThat(ask("hop8-0." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Answer.class, a -> {
      assertThat(a.aliases()).hasSize(8);
      assertThat(((ARecord) a.records().get(0)).getAddress().getHostAddress()).isEqualTo("198.51.100.9");
    });
    // One question per alias that leaves its zone (the last alias and its target share one).
    assertThat(server.queries() - before).as("questions asked").isEqualTo(8);
    assertThat(ask("hop9-0." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Failure.class,
        f -> assertThat(f.reason()).contains("CNAME chain longer than 8").doesNotContainIgnoringCase("loop"));
  }

  @Test
  void cnameLoopIsAFailureNotAnEndlessWalk() throws Exception {
    long before = server.queries();
    assertThat(ask("loop-a." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Failure.class,
        f -> assertThat(f.reason()).containsIgnoringCase("cname loop"));
    assertThat(server.queries() - before).isEqualTo(1);
    assertThat(ask("42." + FaultZones.REVERSE, Type.PTR)).isInstanceOf(DnsOutcome.Failure.class);
  }

  @Test
  void cnameLoopAcrossZonesIsReportedAsALoop() throws Exception {
    long before = server.queries();
    assertThat(ask("xloop-a." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Failure.class,
        f -> assertThat(f.reason()).contains("CNAME loop"));
    assertThat(server.queries() - before).as("stops at the first repeat").isEqualTo(2);
  }

  @Test
  void resolverThatIsDownFailsFastAndTemporarily() throws Exception {
    int port = FreePorts.closedUdp(); // nothing listens there: every query meets a closed port
    DnsClient down = new DnsClient(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)), TIMEOUT,
        executor, new DnsCounters());
    long t0 = System.nanoTime();
    DnsOutcome o = ask(down, "mail." + FaultZones.FORWARD, Type.A);
    long ms = millisSince(t0);
    assertThat(o.isTemporary()).as(o.toString()).isTrue();
    assertThat(o).isInstanceOfAny(DnsOutcome.Timeout.class, DnsOutcome.Failure.class);
    assertThat(ms).as("no longer than the timeout plus dnsjava's slack").isLessThan(TIMEOUT.toMillis() + 1500);
    assertThat(down.inFlight()).isZero();
  }

  @Test
  void questionsInFlightAreCountedUntilTheyEnd() throws Exception {
    server.fault("mail." + FaultZones.FORWARD, Fault.DROP);
    var pending = impatient.lookup(Name.fromString("mail." + FaultZones.FORWARD + "."), Type.A);
    assertThat(impatient.inFlight()).isEqualTo(1);
    assertThat(pending.get(10, TimeUnit.SECONDS)).isInstanceOf(DnsOutcome.Timeout.class);
    assertThat(impatient.inFlight()).isZero();
  }

  @Test
  void answerSlowerThanTheTimeoutIsATimeout() throws Exception {
    server.fault("mail." + FaultZones.FORWARD, Fault.DELAY, 2000);
    long t0 = System.nanoTime();
    DnsOutcome o = ask(impatient, "mail." + FaultZones.FORWARD, Type.A);
    long ms = millisSince(t0);
    assertThat(o).isInstanceOf(DnsOutcome.Timeout.class);
    assertThat(ms).isBetween(TIMEOUT.toMillis() - 50, TIMEOUT.toMillis() + 1500);
  }

  @Test
  void ownQueryReflectedBackIsAFailureNotNodata() throws Exception {
    server.fault("mail." + FaultZones.FORWARD, Fault.ECHO);
    assertThat(ask("mail." + FaultZones.FORWARD, Type.A)).isInstanceOfSatisfying(DnsOutcome.Failure.class,
        f -> assertThat(f.reason()).contains("QR bit clear"));
  }

  @Test
  void servfailIsServfail() throws Exception {
    server.faultAll(Fault.SERVFAIL);
    assertThat(ask("mail." + FaultZones.FORWARD, Type.A)).isInstanceOf(DnsOutcome.ServFail.class);
  }
}
