package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.net.CidrRange;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.testing.Frames;
import org.ptrguard.testing.MilterTestClient.Negotiated;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/** The real server over TCP and unix sockets, driven by {@link MilterTestClient}. */
class MilterServerTest {
  @TempDir
  Path dir;

  private MilterServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static MilterServerOptions tcp() {
    return MilterServerOptions.defaults().withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0")));
  }

  private SocketAddress start(MilterServerOptions options, RecordingFactory f) throws IOException {
    server = MilterServer.start(options, f);
    return server.boundAddresses().get(0);
  }

  private static void postfixSession(MilterTestClient c) throws IOException {
    c.macro('C', "j", "mx.example.net", "{daemon_name}", "mx.example.net");
    assertThat(c.connect("client.example.org", '4', 40000, "192.0.2.10")).map(Reply::code).contains('c');
    c.macro('H');
    assertThat(c.helo("client.example.org")).map(Reply::code).contains('c');
    c.macro('M', "i", "");
    assertThat(c.mail("<a@example.org>", "SIZE=10")).map(Reply::code).contains('c');
    assertThat(c.rcpt("<b@example.com>")).map(Reply::code).contains('c');
    assertThat(c.data()).map(Reply::code).contains('c');
    assertThat(c.header("Subject", "x")).map(Reply::code).contains('c');
    assertThat(c.endOfHeaders()).map(Reply::code).contains('c');
    assertThat(c.body("hi\r\n".getBytes(StandardCharsets.US_ASCII))).map(Reply::code).contains('c');
  }

  @Test
  void negotiationIsHonouredOverTcp() throws Exception {
    ProtocolNeeds needs = ProtocolNeeds.builder().events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL)
        .noReply(MilterEvent.CONNECT).actions(MilterAction.ADD_HEADERS, MilterAction.CHANGE_BODY)
        .macros(MacroStage.HELO, "{tls_version}").build();
    RecordingFactory f = new RecordingFactory(needs);
    try (MilterTestClient c = MilterTestClient.connect(start(tcp(), f))) {
      Negotiated n = c.negotiate();
      assertThat(n.version()).isEqualTo(6);
      assertThat(n.actions()).isEqualTo(0x1 | 0x2 | 0x100);
      assertThat(n.actions() & ~MilterTestClient.POSTFIX_ACTIONS).isZero();
      assertThat(n.protocol() & ~MilterTestClient.POSTFIX_PROTOCOL).isZero();
      assertThat(n.sent(MilterEvent.RCPT)).isFalse();
      assertThat(n.sent(MilterEvent.BODY)).isFalse();
      assertThat(n.sent(MilterEvent.MAIL)).isTrue();
      assertThat(n.replies(MilterEvent.CONNECT)).isFalse();
      assertThat(n.replies(MilterEvent.HELO)).isTrue();
      assertThat(n.macroLists()).containsEntry(0, "j {daemon_name} {daemon_addr} {client_addr} {client_name} {client_ptr} {client_resolve}")
          .containsEntry(1, "{tls_version}").containsEntry(2, "{auth_authen} i");
      assertThat(c.connect("c.example", '4', 1, "192.0.2.1")).isEmpty();
      assertThat(c.helo("c.example")).map(Reply::code).contains('c');
      assertThat(c.mail("<a@b>")).map(Reply::code).contains('c');
      assertThat(c.rcpt("<x@y>")).isEmpty(); // not sent
      assertThat(c.endOfMessage().finalReply().code()).isEqualTo('c');
    }
  }

  @Test
  void heloCompletedLaterFromAnotherThreadDoesNotBlockOtherSessions() throws Exception {
    RecordingFactory f = new RecordingFactory();
    List<Thread> callbackThreads = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    f.observer = (stage, ctx) -> {
      if (ctx.connectInfo().map(ConnectInfo::rawAddress).equals(Optional.of("192.0.2.1"))) {
        callbackThreads.add(Thread.currentThread());
      }
    };
    CompletableFuture<MilterReply> pending = new CompletableFuture<>();
    f.replies = stage -> stage.equals("helo") ? pending : MilterHandler.CONTINUE;
    SocketAddress address = start(tcp(), f);
    try (MilterTestClient slow = MilterTestClient.connect(address); MilterTestClient other = MilterTestClient.connect(address)) {
      slow.negotiate();
      slow.connect("c", '4', 1, "192.0.2.1");
      // HELO, then frames that must wait behind it (as Postfix pipelines macros).
      slow.frame('H', MilterTestClient.nulTerminated("slow.example")).macro('M', "i", "").flush();
      // While HELO is pending, other connections are served: the event loop is not blocked.
      other.negotiate();
      assertThat(other.connect("c", '4', 1, "192.0.2.2")).map(Reply::code).contains('c');
      assertThat(f.calls).doesNotContain("mail [<a@b>]");
      new Thread(() -> pending.complete(MilterReply.replyCode("421 4.7.0 slow"))).start();
      Reply r = slow.readReply();
      assertThat(r.code()).isEqualTo('y');
      assertThat(r.payload()).isEqualTo("421 4.7.0 slow\0".getBytes(StandardCharsets.US_ASCII));
      // The queued MACRO frame was processed after HELO and never answered: MAIL gets the next reply.
      assertThat(slow.mail("<a@b>")).map(Reply::code).contains('c');
    }
    // connect, helo and mail ran on one thread, the connection's event loop, although HELO was
    // completed from another thread.
    assertThat(callbackThreads).hasSize(3);
    assertThat(new java.util.HashSet<>(callbackThreads)).hasSize(1);
    assertThat(callbackThreads.get(0)).isNotEqualTo(Thread.currentThread());
  }

  @Test
  void replyCodeTextIsByteExactOnTheWire() throws Exception {
    String text = "451-4.7.25 ptrguard: identity 192.0.2.1 not ready\r\n451 4.7.25 100% sure";
    RecordingFactory f = new RecordingFactory().replyAt("mail", MilterReply.replyCode(text));
    try (MilterTestClient c = MilterTestClient.connect(start(tcp(), f))) {
      c.negotiate();
      Reply r = c.mail("<a@b>").orElseThrow();
      assertThat(r.code()).isEqualTo('y');
      assertThat(new String(r.payload(), StandardCharsets.US_ASCII))
          .isEqualTo("451-4.7.25 ptrguard: identity 192.0.2.1 not ready\r\n451 4.7.25 100%% sure\0");
    }
  }

  @Test
  void clientsOutsideAllowFromAreClosedBeforeAnyRead() throws Exception {
    RecordingFactory f = new RecordingFactory();
    SocketAddress address = start(tcp().withAllowFrom(List.of(CidrRange.parse("192.0.2.0/24"))), f);
    try (MilterTestClient c = MilterTestClient.connect(address)) {
      c.frame('O', Frames.hex("00000006 000001ff 001fffff"));
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
    assertThat(f.sessions.get()).isZero();
  }

  @Test
  void connectionsBeyondMaxConnectionsAreRefused() throws Exception {
    RecordingFactory f = new RecordingFactory();
    SocketAddress address = start(tcp().withMaxConnections(1), f);
    try (MilterTestClient first = MilterTestClient.connect(address)) {
      first.negotiate();
      try (MilterTestClient second = MilterTestClient.connect(address)) {
        assertThat(second.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
      first.quit();
      assertThat(first.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
    eventually(() -> server.openConnections() == 0);
    try (MilterTestClient third = MilterTestClient.connect(address)) {
      assertThat(third.negotiate().version()).isEqualTo(6);
    }
  }

  @Test
  void idleClientsAreClosed() throws Exception {
    RecordingFactory f = new RecordingFactory();
    try (MilterTestClient c = MilterTestClient.connect(start(tcp().withIdleTimeout(Duration.ofMillis(300)), f))) {
      c.negotiate();
      long t0 = System.nanoTime();
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofMillis(200));
    }
    eventually(() -> f.calls.contains("closed 1"));
  }

  private static void eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within 5 s").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void quitNcStartsAFreshSessionOnTheSameConnection() throws Exception {
    RecordingFactory f = new RecordingFactory();
    try (MilterTestClient c = MilterTestClient.connect(start(tcp(), f))) {
      c.negotiate();
      postfixSession(c);
      c.abort();
      c.quitNewConnection();
      postfixSession(c);
      assertThat(c.endOfMessage().finalReply().code()).isEqualTo('c');
    }
    eventually(() -> f.calls.contains("closed 2"));
    assertThat(f.calls).containsSubsequence("session 1", "closed 1", "session 2", "closed 2");
  }

  @Test
  void progressIsSentWhileEndOfMessageIsPendingAndModificationsPrecedeTheFinalReply() throws Exception {
    RecordingFactory f = new RecordingFactory(ProtocolNeeds.builder().actions(MilterAction.ADD_HEADERS).build());
    f.endOfMessage = () -> CompletableFuture.supplyAsync(
        () -> EndOfMessageReply.of(MilterReply.ACCEPT, Modification.addHeader("X-PTRGuard", "ok")),
        CompletableFuture.delayedExecutor(450, TimeUnit.MILLISECONDS));
    MilterServerOptions options = tcp().withProgressInterval(Duration.ofMillis(100));
    try (MilterTestClient c = MilterTestClient.connect(start(options, f))) {
      c.negotiate();
      postfixSession(c);
      MilterTestClient.EndOfMessage eom = c.endOfMessage();
      assertThat(eom.progress()).isBetween(2, 6);
      assertThat(eom.modifications()).hasSize(1);
      assertThat(eom.modifications().get(0).strings(0)).containsExactly("X-PTRGuard", "ok");
      assertThat(eom.finalReply().code()).isEqualTo('a');
      c.abort();
      // The next message on the same connection gets no stray PROGRESS.
      c.macro('M', "i", "");
      assertThat(c.mail("<next@example.org>")).map(Reply::code).contains('c');
    }
  }

  @Test
  void ipv6Listener() throws Exception {
    RecordingFactory f = new RecordingFactory();
    SocketAddress address = start(MilterServerOptions.defaults().withListeners(List.of(ListenAddress.parse("inet:[::1]:0"))), f);
    assertThat(((InetSocketAddress) address).getPort()).isPositive();
    try (MilterTestClient c = MilterTestClient.connect(address)) {
      c.negotiate();
      assertThat(c.connect("[2001:db8::5]", '6', 25, "2001:db8::5")).map(Reply::code).contains('c');
    }
    assertThat(f.calls).contains("connect [2001:db8::5] INET6 25 2001:db8:0:0:0:0:0:5 raw=2001:db8::5");
  }

  // ---- unix sockets

  private MilterServerOptions unix(Path socket) {
    return MilterServerOptions.defaults().withListeners(List.of(ListenAddress.parse("unix:" + socket)));
  }

  @Test
  void unixSocketServesWithTheConfiguredModeAndIsRemovedOnClose() throws Exception {
    Path socket = dir.resolve("milter.sock");
    RecordingFactory f = new RecordingFactory();
    SocketAddress address = start(unix(socket), f);
    assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
    try (MilterTestClient c = MilterTestClient.connect(address)) {
      c.negotiate();
      postfixSession(c);
      assertThat(c.endOfMessage().finalReply().code()).isEqualTo('c');
    }
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("milter.sock"); // no temp dir left
    }
    server.close();
    assertThat(socket).doesNotExist();
  }

  @Test
  void unixSocketModeIsConfigurable() throws Exception {
    Path socket = dir.resolve("m.sock");
    start(unix(socket).withUnixSocket("0600", Optional.empty()), new RecordingFactory());
    assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void unixSocketGroupIsSetAndAnUnknownGroupFailsCleanly() throws Exception {
    String group = ((java.nio.file.attribute.GroupPrincipal) Files.getAttribute(dir, "posix:group")).getName();
    Path socket = dir.resolve("g.sock");
    start(unix(socket).withUnixSocket("0660", Optional.of(group)), new RecordingFactory());
    assertThat(((java.nio.file.attribute.GroupPrincipal) Files.getAttribute(socket, "posix:group")).getName()).isEqualTo(group);
    server.close();
    server = null;
    Path other = dir.resolve("nogroup.sock");
    assertThatThrownBy(() -> MilterServer.start(unix(other).withUnixSocket("0660", Optional.of("no-such-group-ptrguard")),
        new RecordingFactory())).isInstanceOf(IOException.class).hasMessageContaining("no-such-group-ptrguard");
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty(); // neither the socket nor the private bind directory is left behind
    }
  }

  @Test
  void staleSocketFromACrashIsReplaced() throws Exception {
    Path socket = dir.resolve("stale.sock");
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(socket));
    } // closed without unlinking, as after a crash
    assertThat(socket).exists();
    try (MilterTestClient c = MilterTestClient.connect(start(unix(socket), new RecordingFactory()))) {
      assertThat(c.negotiate().version()).isEqualTo(6);
    }
  }

  @Test
  void liveSocketOfAnotherServerIsNotTakenOver() throws Exception {
    Path socket = dir.resolve("live.sock");
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(socket));
      assertThatThrownBy(() -> MilterServer.start(unix(socket), new RecordingFactory()))
          .isInstanceOf(IOException.class).hasMessageContaining("another process");
      assertThat(socket).exists();
    }
  }

  @Test
  void nonSocketFileIsNeverRemoved() throws Exception {
    Path file = dir.resolve("important.conf");
    Files.writeString(file, "keep me");
    assertThatThrownBy(() -> MilterServer.start(unix(file), new RecordingFactory()))
        .isInstanceOf(IOException.class).hasMessageContaining("not a socket");
    assertThat(file).hasContent("keep me");
  }

  @Test
  void tcpAndUnixListenersTogether() throws Exception {
    Path socket = dir.resolve("both.sock");
    MilterServerOptions options = MilterServerOptions.defaults().withListeners(List.of(
        ListenAddress.parse("inet:127.0.0.1:0"), ListenAddress.parse("unix:" + socket)));
    server = MilterServer.start(options, new RecordingFactory());
    assertThat(server.boundAddresses()).hasSize(2);
    for (SocketAddress a : server.boundAddresses()) {
      try (MilterTestClient c = MilterTestClient.connect(a)) {
        c.negotiate();
        postfixSession(c);
        c.quit();
        assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
      }
    }
  }
}
