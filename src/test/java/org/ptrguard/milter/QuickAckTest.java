package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;

/**
 * Postfix keeps Nagle's algorithm on its milter sockets. When it sends events it expects no answer
 * to, its next small packet waits until the previous one is acknowledged, and a receiver that
 * delays its ACK (Linux: 40 ms) stalls every SMTP session. Both sides here are real TCP sockets on
 * loopback: a bare server shows the stall exists; ptrguard's server must not have it.
 */
class QuickAckTest {
  private static final int SESSIONS = 15;
  private static final int NO_REPLY = MilterProtocol.SMFIP_NR_CONN | MilterProtocol.SMFIP_NR_HELO;
  private MilterServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aServerThatDelaysItsAcksStallsANagleClient() throws Exception {
    try (ServerSocket bare = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> serveBare(bare), "bare-milter");
      t.setDaemon(true);
      t.start();
      assertThat(medianMillis(new InetSocketAddress(InetAddress.getLoopbackAddress(), bare.getLocalPort())))
          .as("the control must show the delayed-ACK stall, or the other test proves nothing")
          .isGreaterThanOrEqualTo(30);
    }
  }

  @Test
  void ptrguardAcknowledgesUnansweredEventsAtOnce() throws Exception {
    ProtocolNeeds needs = ProtocolNeeds.builder().events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL)
        .noReply(MilterEvent.CONNECT, MilterEvent.HELO).noMacros().build();
    server = MilterServer.start(MilterServerOptions.defaults()
        .withListeners(List.of(ListenAddress.parse("inet:127.0.0.1:0"))), new RecordingFactory(needs));
    assertThat(medianMillis(server.boundAddresses().get(0))).isLessThan(20);
  }

  /** Per session: CONNECT and HELO unanswered, then the MAIL round trip; the median session time. */
  private static long medianMillis(SocketAddress address) throws IOException {
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      try (MilterTestClient c = MilterTestClient.connect(address).nagleLikePostfix()) {
        c.negotiate();
        assertThat(c.negotiated().protocol() & NO_REPLY).isEqualTo(NO_REPLY);
        long t0 = System.nanoTime();
        assertThat(c.connect("client.example.org", '4', 40000, "192.0.2.10")).isEmpty();
        assertThat(c.helo("client.example.org")).isEmpty();
        assertThat(c.mail("<a@example.org>")).map(Reply::code).contains('c');
        times.add((System.nanoTime() - t0) / 1_000_000);
      }
    }
    Collections.sort(times);
    return times.get(times.size() / 2);
  }

  /** Just enough milter for the test: CONNECT and HELO unanswered, CONTINUE to MAIL, default socket options. */
  private static void serveBare(ServerSocket bare) {
    while (!bare.isClosed()) {
      try (Socket s = bare.accept()) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream()));
        while (true) {
          int length = in.readInt();
          byte[] frame = new byte[length];
          in.readFully(frame);
          char command = (char) frame[0];
          if (command == MilterProtocol.SMFIC_OPTNEG) {
            out.writeInt(13);
            out.writeByte(MilterProtocol.SMFIC_OPTNEG);
            out.writeInt(6);
            out.writeInt(0);
            out.writeInt(NO_REPLY);
            out.flush();
          } else if (command == MilterProtocol.SMFIC_MAIL) {
            out.writeInt(1);
            out.writeByte(MilterProtocol.SMFIR_CONTINUE);
            out.flush();
          } else if (command == MilterProtocol.SMFIC_QUIT) {
            break;
          }
        }
      } catch (IOException closed) {
        // next connection, or the server socket is closed
      }
    }
  }
}
