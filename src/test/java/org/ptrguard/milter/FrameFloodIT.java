package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.MilterTestClient;

/**
 * The packaged jar with the heap the launcher gives it (packaging/bin/ptrguard: -Xmx64m, so also
 * 64 MiB of direct memory for Netty), flooded by clients that each send most of a 1 MiB frame and
 * stop. Without a shared budget for incomplete frames this exhausted direct memory and every new
 * session, Postfix's included, went unanswered; now the flooders are closed and a normal client is
 * served throughout.
 */
class FrameFloodIT {
  static final int FLOODERS = 120;
  static final int FRAME = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void normalClientIsServedWhileOthersHoldHalfFramesWorthMoreThanTheHeap() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Path conf = dir.resolve("ptrguard.conf");
    Files.writeString(conf, """
        listen = ["inet:127.0.0.1:%d"]
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
        dns { resolvers = ["127.0.0.1:9"], timeout = 200ms, check-budget = 1s }
        """.formatted(port));
    Path log = dir.resolve("ptrguard.log");
    Process p = new ProcessBuilder("java", "-Xms16m", "-Xmx64m", "-XX:+UseSerialGC",
        "-jar", System.getProperty("ptrguard.jar", "target/ptrguard.jar"), "serve", "--config", conf.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
    List<MilterTestClient> flood = new ArrayList<>();
    try {
      awaitLog(p, log, "event=listening");
      byte[] chunk = new byte[FRAME - 64 * 1024];
      chunk[0] = 'H';
      for (int i = 0; i < FLOODERS; i++) {
        MilterTestClient c = MilterTestClient.connect(address);
        flood.add(c);
        try {
          c.raw(ByteBuffer.allocate(4).putInt(FRAME).array()).raw(chunk).flush();
        } catch (IOException closedAlready) {
          // refused mid-send: that is the budget at work
        }
      }
      // A client with normal frames is answered at once, with the flood still connected.
      try (MilterTestClient normal = MilterTestClient.connect(address).timeout(Duration.ofSeconds(5))) {
        assertThat(normal.negotiate().version()).isEqualTo(6);
        assertThat(normal.connect("client.example.net", '4', 25, "192.0.2.7")).isEmpty(); // no-reply CONNECT
        assertThat(normal.helo("client.example.net")).map(MilterTestClient.Reply::code).contains('a');
      }
      String text = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(text).contains("reason=memory-budget").doesNotContain("OutOfMemoryError");
      assertThat(p.isAlive()).isTrue();
    } finally {
      for (MilterTestClient c : flood) {
        c.close();
      }
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }

  private static void awaitLog(Process p, Path log, String needle) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.readString(log, StandardCharsets.UTF_8).contains(needle)) {
      assertThat(p.isAlive()).as("ptrguard died: " + Files.readString(log)).isTrue();
      assertThat(System.nanoTime()).as("ptrguard did not start").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
