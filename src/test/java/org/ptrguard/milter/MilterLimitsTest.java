package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.net.CidrRange;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.testing.Frames;
import org.ptrguard.testing.LogCapture;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/**
 * Every configurable bound of the milter server, exceeded over a real TCP socket: the offender gets
 * one log line and is closed promptly, and a well-behaved session running at the same time carries
 * on undisturbed.
 */
class MilterLimitsTest {
  /**
   * "At once" for a close that would otherwise wait for the default idle timeout (5 minutes): far
   * below that, and generous enough for a CI machine at a load of 20 or more.
   */
  private static final Duration PROMPTLY = Duration.ofSeconds(5);
  /** How long a test waits for a close it expects before it fails. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  private MilterServer server;
  private LogCapture log;

  @BeforeEach
  void captureLog() {
    log = LogCapture.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    log.close();
  }

  private static MilterServerOptions tcp() {
    return MilterServerOptions.defaults().withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0")));
  }

  private InetSocketAddress start(MilterServerOptions options, RecordingFactory f) throws IOException {
    server = MilterServer.start(options, f);
    return (InetSocketAddress) server.boundAddresses().get(0);
  }

  /** A session up to HELO, as Postfix sends it. */
  private static void greet(MilterTestClient c, String client) throws IOException {
    c.negotiate();
    c.macro('C', "j", "mx.example.net", "{daemon_name}", "smtpd");
    assertThat(c.connect(client, '4', 40000, "192.0.2.10")).map(Reply::code).contains('c');
  }

  /** The rest of a message: proves the connection is still fully usable. */
  private static void finishMessage(MilterTestClient c) throws IOException {
    assertThat(c.helo("good.example.org")).map(Reply::code).contains('c');
    c.macro('M', "i", "ABC123");
    assertThat(c.mail("<a@example.org>")).map(Reply::code).contains('c');
    assertThat(c.rcpt("<b@example.com>")).map(Reply::code).contains('c');
    assertThat(c.endOfMessage().finalReply().code()).isEqualTo('c');
  }

  private static Duration closeTime(MilterTestClient c, Duration wait) throws IOException {
    long t0 = System.nanoTime();
    assertThat(c.closedByPeer(wait)).as("closed by the milter within " + wait).isTrue();
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  private static byte[] length(int value) {
    return ByteBuffer.allocate(4).putInt(value).array();
  }

  // ---- max-frame-bytes

  @Test
  void oversizedFrameIsRejectedFromItsLengthAloneAndOthersCarryOn() throws Exception {
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp().withMaxFrameBytes(1024), f);
    try (MilterTestClient good = MilterTestClient.connect(address);
         MilterTestClient bad = MilterTestClient.connect(address)) {
      greet(good, "good.example.org");
      bad.negotiate();
      // Announce 10 MB and send only the command byte: the milter must not wait for (or buffer) the rest.
      bad.raw(length(10_000_000)).raw(new byte[] {'H'});
      assertThat(closeTime(bad, CLOSE_WAIT)).isLessThan(PROMPTLY);
      finishMessage(good);
    }
    assertThat(log.await("event=milter-frame-rejected", PROMPTLY))
        .contains("reason=too-long length=10000000 max=1024 remote=/127.0.0.1:");
    assertThat(server.stats().commands()).containsEntry("Malformed", 0L); // listed from the start, never counted
  }

  @Test
  void frameOfExactlyTheLimitIsAccepted() throws Exception {
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp().withMaxFrameBytes(1024), f);
    try (MilterTestClient c = MilterTestClient.connect(address)) {
      greet(c, "c.example.org");
      // HELO frame = 1 command byte + name + NUL = 1024 bytes.
      String name = "h".repeat(1022);
      assertThat(c.helo(name)).map(Reply::code).contains('c');
      assertThat(c.helo(name + "x")).isEmpty(); // 1025: refused...
    } catch (IOException closed) {
      // ...which the client sees as the milter closing the connection
    }
    assertThat(f.calls).contains("helo " + "h".repeat(1022));
    assertThat(log.await("event=milter-frame-rejected", PROMPTLY)).contains("length=1025 max=1024");
  }

  // ---- memory held by incomplete frames, all connections together

  @Test
  void incompleteFramesAreBoundedAcrossConnectionsAndPostfixSizedFramesAlwaysPass() throws Exception {
    RecordingFactory f = new RecordingFactory();
    FrameMemoryBudget budget = new FrameMemoryBudget(256 * 1024);
    server = MilterServer.start(tcp(), f, budget);
    InetSocketAddress address = (InetSocketAddress) server.boundAddresses().get(0);
    List<MilterTestClient> hostile = new ArrayList<>();
    try (MilterTestClient good = MilterTestClient.connect(address)) {
      greet(good, "good.example.org");
      // Each announces a 1 MB frame (within max-frame-bytes) and sends 100 KB of it.
      for (int i = 0; i < 5; i++) {
        MilterTestClient c = MilterTestClient.connect(address);
        hostile.add(c);
        c.raw(length(1_000_000)).raw(new byte[] {'H'}).raw(new byte[100 * 1024]).flush();
        if (i < 2) {
          // The first two must be held before the next one arrives (they may be on different event
          // loops): wait for the budget to show them rather than for a fixed time.
          long held = (i + 1) * 100L * 1024;
          long until = System.nanoTime() + CLOSE_WAIT.toNanos();
          while (budget.held() < held && System.nanoTime() < until) {
            Thread.sleep(5);
          }
          assertThat(budget.held()).as("bytes of the first " + (i + 1) + " incomplete frames").isGreaterThanOrEqualTo(held);
        }
      }
      // Two fit in 256 KB; the third and later ones push the total over and are closed.
      assertThat(hostile.get(0).closedByPeer(Duration.ofMillis(300))).isFalse();
      assertThat(hostile.get(1).closedByPeer(Duration.ofMillis(300))).isFalse();
      for (MilterTestClient c : hostile.subList(2, 5)) {
        assertThat(closeTime(c, CLOSE_WAIT)).isLessThan(PROMPTLY);
      }
      assertThat(budget.held()).isBetween(200L * 1024, 256L * 1024);
      finishMessage(good);
    } finally {
      for (MilterTestClient c : hostile) {
        c.close();
      }
    }
    assertThat(log.await("reason=memory-budget", PROMPTLY)).contains("budget=262144").contains("remote=/127.0.0.1:");
    // Every byte charged is given back when the connections go.
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    while (budget.held() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(budget.held()).isZero();
  }

  // ---- a client that never reads its replies

  @Test
  void clientThatNeverReadsItsRepliesIsThrottledNotBufferedFor() throws Exception {
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp(), f);
    // OPTNEG frames again and again (allowed before CONNECT, each answered with a longer reply),
    // written without ever reading a reply, from a socket with a small receive buffer.
    byte[] optneg = Frames.hex("0000000d 4f 00000006 000001ff 001fffff");
    byte[] frames = new byte[optneg.length * 4096];
    for (int i = 0; i < 4096; i++) {
      System.arraycopy(optneg, 0, frames, i * optneg.length, optneg.length);
    }
    long accepted = 0;
    boolean closedByServer = false;
    try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
         MilterTestClient good = MilterTestClient.connect(address)) {
      ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
      ch.connect(address);
      ch.configureBlocking(false);
      long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      ByteBuffer out = ByteBuffer.wrap(frames);
      while (System.nanoTime() < deadline && accepted < 64L << 20) {
        if (!out.hasRemaining()) {
          out.rewind();
        }
        int n;
        try {
          n = ch.write(out);
        } catch (IOException e) {
          closedByServer = true;
          break;
        }
        accepted += n;
        if (n == 0) {
          Thread.sleep(5);
        }
      }
      long pending = server.pendingOutboundBytes();
      System.out.println("limits no-read client: accepted=" + accepted + " bytes, closed=" + closedByServer
          + " replies-pending-in-memory=" + pending + " bytes open=" + server.openConnections() + " errors=" + server.stats().protocolErrors());
      // The server stops reading while replies cannot leave: memory for them stays small.
      assertThat(pending).as("reply bytes queued in memory for a client that reads nothing").isLessThan(1L << 20);
      // Meanwhile an ordinary client is served.
      greet(good, "good.example.org");
      finishMessage(good);
    }
  }

  // ---- max-macros-per-stage and max-macro-bytes

  @Test
  void tooManyMacrosForOneStageCloseTheSession() throws Exception {
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp().withMacroLimits(4, 65536), f);
    try (MilterTestClient good = MilterTestClient.connect(address);
         MilterTestClient bad = MilterTestClient.connect(address)) {
      good.negotiate();
      good.macro('C', "a", "1", "b", "2", "c", "3", "d", "4"); // exactly the limit
      assertThat(good.connect("good.example.org", '4', 1, "192.0.2.1")).map(Reply::code).contains('c');
      bad.negotiate();
      bad.macro('C', "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
      assertThat(closeTime(bad, CLOSE_WAIT)).isLessThan(PROMPTLY);
      finishMessage(good);
    }
    assertThat(log.await("event=milter-protocol-error", PROMPTLY))
        .contains("reason=\"MACRO: more than 4 macros for stage CONNECT, limit 4\"").contains("remote=/127.0.0.1:");
    assertThat(server.stats().protocolErrors()).isEqualTo(1);
  }

  @Test
  void macroBytesAreBoundedAcrossStagesButARepeatedStageReplacesItsMacros() throws Exception {
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp().withMacroLimits(64, 1024), f);
    String v600 = "v".repeat(600);
    try (MilterTestClient good = MilterTestClient.connect(address);
         MilterTestClient bad = MilterTestClient.connect(address)) {
      good.negotiate();
      // The same stage sent ten times: each replaces the last, so 600 bytes are held, not 6000.
      for (int i = 0; i < 10; i++) {
        good.macro('C', "{x}", v600);
      }
      assertThat(good.connect("good.example.org", '4', 1, "192.0.2.1")).map(Reply::code).contains('c');
      bad.negotiate();
      bad.macro('C', "{x}", v600);
      assertThat(bad.connect("bad.example.org", '4', 1, "192.0.2.2")).map(Reply::code).contains('c');
      bad.macro('H', "{y}", v600); // 605 + 605 name/value bytes > 1024
      assertThat(closeTime(bad, CLOSE_WAIT)).isLessThan(PROMPTLY);
      finishMessage(good);
    }
    assertThat(log.await("event=milter-protocol-error", PROMPTLY)).contains("reason=\"macros take 1210 bytes, limit 1024\"");
    assertThat(server.stats().protocolErrors()).isEqualTo(1);
  }

  // ---- idle-timeout

  @Test
  void halfAFrameThenSilenceIsClosedAfterTheIdleTimeoutWhileAnActiveSessionStays() throws Exception {
    RecordingFactory f = new RecordingFactory();
    Duration idle = Duration.ofSeconds(1);
    InetSocketAddress address = start(tcp().withIdleTimeout(idle), f);
    java.util.concurrent.atomic.AtomicBoolean stalledClosed = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger noops = new java.util.concurrent.atomic.AtomicInteger();
    try (MilterTestClient active = MilterTestClient.connect(address)) {
      greet(active, "active.example.org");
      // The active session talks ten times per idle timeout until the stalled one is closed: for
      // longer than the timeout, with room for a loaded machine to delay this thread.
      java.util.concurrent.CompletableFuture<Void> talking = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          while (!stalledClosed.get()) {
            assertThat(active.unknown("NOOP")).map(Reply::code).contains('c');
            noops.incrementAndGet();
            Thread.sleep(idle.toMillis() / 10);
          }
        } catch (IOException | InterruptedException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      // Connected only now, so that a slow start (cold JVM, loaded machine) does not use up its idle time.
      try (MilterTestClient stalled = MilterTestClient.connect(address)) {
        stalled.negotiate();
        // A HELO frame announced as 50 bytes, of which 11 arrive.
        stalled.raw(length(50)).raw("Hhalf.examp".getBytes(StandardCharsets.US_ASCII)).flush();
        long t0 = System.nanoTime();
        boolean closed = stalled.closedByPeer(idle.multipliedBy(10));
        Duration closedAfter = Duration.ofNanos(System.nanoTime() - t0);
        stalledClosed.set(true);
        assertThat(closed).as("stalled session closed").isTrue();
        System.out.println("limits half-frame closed after ms=" + closedAfter.toMillis() + " (idle-timeout "
            + idle.toMillis() + ") while the active session sent " + noops.get() + " NOOPs");
        // Not before the timeout (the last byte came just before t0), and about when it runs out.
        assertThat(closedAfter).isBetween(idle.multipliedBy(9).dividedBy(10), idle.multipliedBy(5));
      } finally {
        stalledClosed.set(true);
      }
      talking.get(CLOSE_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      assertThat(noops.get()).as("NOOPs answered while the stalled session waited out its timeout").isGreaterThan(1);
      finishMessage(active);
    }
    String line = log.await("event=milter-idle-timeout", PROMPTLY);
    assertThat(line).contains("idle=PT1S").contains("remote=/127.0.0.1:");
    assertThat(log.linesContaining("event=milter-idle-timeout")).hasSize(1);
    assertThat(f.calls).noneMatch(c -> c.startsWith("helo half"));
  }

  @Test
  void aFrameTricklingInFasterThanTheIdleTimeoutIsClosedAtTheFrameTimeout() throws Exception {
    RecordingFactory f = new RecordingFactory();
    // Long enough that this thread, sending a byte every 50 ms, never pauses for it on a loaded machine
    // (that would close the connection at the idle timeout instead).
    Duration idle = Duration.ofSeconds(1);
    InetSocketAddress address = start(tcp().withIdleTimeout(idle), f);
    try (MilterTestClient slow = MilterTestClient.connect(address)) {
      slow.negotiate();
      // A 1000-byte HELO frame, one byte every 50 ms: each byte would reset the idle timer.
      slow.raw(length(1000)).raw(new byte[] {'H'}).flush();
      long t0 = System.nanoTime();
      long trickle = idle.multipliedBy(10).toNanos();
      boolean closed = false;
      while (!closed && System.nanoTime() - t0 < trickle) {
        try {
          slow.raw(new byte[] {'x'}).flush();
          closed = slow.closedByPeer(Duration.ofMillis(50));
        } catch (IOException reset) {
          closed = true;
        }
      }
      Duration closedAfter = Duration.ofNanos(System.nanoTime() - t0);
      System.out.println("limits trickled frame closed after ms=" + closedAfter.toMillis() + " (trickle "
          + trickle / 1_000_000 + " ms, frame timeout " + idle.toMillis() + " ms)");
      assertThat(closed).as("closed before the trickle ends").isTrue();
      assertThat(closedAfter.toNanos()).as("a fraction of the trickle").isLessThan(trickle / 2);
    }
    try (MilterTestClient next = MilterTestClient.connect(address)) {
      greet(next, "next.example.org");
      finishMessage(next);
    }
    String line = log.await("event=milter-frame-timeout", PROMPTLY);
    assertThat(line).contains("limit=PT1S").contains("length=1000").contains("remote=/127.0.0.1:");
    assertThat(log.linesContaining("event=milter-idle-timeout")).isEmpty();
  }

  @Test
  void frameTimeoutIsTheIdleTimeoutCappedAtTenSeconds() {
    assertThat(tcp().withIdleTimeout(Duration.ofSeconds(3)).frameTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(tcp().withIdleTimeout(Duration.ofMinutes(5)).frameTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  // ---- max-connections

  @Test
  void excessConnectionsAreClosedAtOnceWithALogLineAndOpenSessionsCarryOn() throws Exception {
    double burstSeconds;
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp().withMaxConnections(2), f);
    try (MilterTestClient a = MilterTestClient.connect(address); MilterTestClient b = MilterTestClient.connect(address)) {
      greet(a, "a.example.org");
      greet(b, "b.example.org");
      List<Duration> refusals = new ArrayList<>();
      long burstStart = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        try (MilterTestClient excess = MilterTestClient.connect(address)) {
          excess.frame('O', Frames.hex("00000006 000001ff 001fffff"));
          refusals.add(closeTime(excess, CLOSE_WAIT));
        }
      }
      burstSeconds = (System.nanoTime() - burstStart) / 1e9;
      assertThat(refusals).isNotEmpty().allSatisfy(d -> assertThat(d).isLessThan(PROMPTLY));
      System.out.println("limits excess-connection close ms=" + refusals.stream().map(Duration::toMillis).toList());
      finishMessage(a);
      finishMessage(b);
    }
    // One line per second of the burst at most (the journal must not be floodable), every refusal
    // counted: a loaded machine can stretch the ten refusals over more than a second or two.
    List<String> lines = log.linesContaining("event=milter-refused reason=max-connections limit=2 remote=/127.0.0.1:");
    assertThat(lines).as("lines for a burst of %.1f s", burstSeconds).hasSizeBetween(1, (int) Math.ceil(burstSeconds) + 1);
    assertThat(server.stats().refusedConnections()).containsEntry("max-connections", 10L);
    assertThat(f.sessions.get()).isEqualTo(2);
  }

  // ---- allow-from

  @Test
  void clientOutsideAllowFromIsClosedWithoutAByteDecoded() throws Exception {
    InetAddress outside = InetAddress.getByName("127.0.0.2");
    RecordingFactory f = new RecordingFactory();
    InetSocketAddress address = start(tcp().withAllowFrom(List.of(CidrRange.parse("127.0.0.1/32"))), f);
    try (MilterTestClient inside = MilterTestClient.connect(address)) {
      greet(inside, "inside.example.org");
      try (MilterTestClient c = MilterTestClient.connectFrom(address, outside)) {
        c.frame('O', Frames.hex("00000006 000001ff 001fffff"));
        assertThat(closeTime(c, CLOSE_WAIT)).isLessThan(PROMPTLY);
      }
      finishMessage(inside);
    }
    assertThat(log.await("event=milter-refused reason=not-in-allow-from", PROMPTLY)).contains("remote=/127.0.0.2:");
    assertThat(f.sessions.get()).isEqualTo(1);
    // Only the inside client's commands were decoded: one OPTNEG.
    assertThat(server.stats().commands()).containsEntry("OptionNegotiation", 1L);
    assertThat(server.stats().acceptedConnections()).isEqualTo(1);
    assertThat(server.stats().refusedConnections()).containsEntry("not-in-allow-from", 1L);
  }

  @Test
  void defaultsBindLoopbackOnlyAndAllowOnlyLoopbackClients() {
    MilterServerOptions d = MilterServerOptions.defaults();
    assertThat(d.listeners()).singleElement().satisfies(l ->
        assertThat(((ListenAddress.Inet) l).address().isLoopbackAddress()).isTrue());
    assertThat(d.allowFrom()).isNotEmpty().allSatisfy(r -> assertThat(r.network().isLoopbackAddress()).isTrue());
    assertThat(d.maxFrameBytes()).isEqualTo(1 << 20);
    assertThat(d.maxConnections()).isEqualTo(1000);
    assertThat(d.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
  }
}
