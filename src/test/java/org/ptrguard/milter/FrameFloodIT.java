package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    List<MilterTestClient> flood = new ArrayList<>();
    try (PackagedDaemon d = PackagedDaemon.start(dir, "")) {
      InetSocketAddress address = d.address;
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
      assertThat(d.logText()).contains("reason=memory-budget").doesNotContain("OutOfMemoryError");
      assertThat(d.process.isAlive()).isTrue();
    } finally {
      for (MilterTestClient c : flood) {
        c.close();
      }
    }
  }
}
