package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.MilterTestClient;

/**
 * Sixteen clients send 1 MiB MACRO frames of 262,143 one-letter pairs (far over the 64-pair limit)
 * as fast as the milter closes them, while a normal session is timed, against the packaged daemon
 * (-Xmx64m). The pairs must be refused before anything is built from them: decoding them all first
 * cost a quarter of a million strings and map entries per frame, the daemon spent most of its time
 * in full GC and a normal session's median went from about a millisecond to most of a second.
 *
 * <p>The yardstick is the same flood of 1 MiB frames with a command code that does not exist, which
 * the milter reads as far and refuses without decoding anything: the two differ only in the work
 * the MACRO frames' contents could cause. Compared with a quiet daemon instead, the ratio measured
 * mostly how hard sixteen local flooders and the machine's other load squeeze a two-core machine
 * (one run at a load of 15: 12, 242 and 37 in three rounds). The phases alternate, each macro flood
 * against the junk flood just before it, best of three rounds (the defect shows in every round).
 */
class MacroFloodIT {
  static final int FLOODERS = 16;
  static final int FRAME = 1 << 20;
  static final int SAMPLES = 30;
  static final int ROUNDS = 3;
  /** Loose: the two floods cost the same loopback copying; the defect made it 100 times or more. */
  static final double MAX_RATIO = 4;

  @TempDir
  Path dir;

  @Test
  void macroFloodIsRefusedBeforeDecodingAndNormalSessionsStayFast() throws Exception {
    try (PackagedDaemon d = PackagedDaemon.start(dir, "")) {
      for (int i = 0; i < 20; i++) {
        normalSession(d); // warm-up: JIT, first verdicts
      }
      byte[] macros = macroFlood();
      byte[] junk = junkFlood();
      AtomicLong macroFrames = new AtomicLong();
      AtomicLong junkFrames = new AtomicLong();
      List<String> rounds = new ArrayList<>();
      double best = Double.POSITIVE_INFINITY;
      long floodStart = System.nanoTime();
      for (int round = 0; round < ROUNDS; round++) {
        double quiet = medianMillis(d, SAMPLES);
        double underJunk = flooded(d, junk, junkFrames);
        double underMacros = flooded(d, macros, macroFrames);
        rounds.add(String.format("quiet %.2f junk %.2f macros %.2f ms ratio %.1f", quiet, underJunk, underMacros,
            underMacros / underJunk));
        best = Math.min(best, underMacros / underJunk);
      }
      double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
      System.out.printf("macro-flood: normal session median per round (%d flooders): %s; %d macro and %d junk"
          + " frames in %.1f s%n", FLOODERS, rounds, macroFrames.get(), junkFrames.get(), floodSeconds);
      assertThat(macroFrames.get()).as("the macro flood ran").isGreaterThan(FLOODERS);
      assertThat(junkFrames.get()).as("the junk flood ran").isGreaterThan(FLOODERS);
      assertThat(best).as("median under the macro flood / under the junk flood, best of " + rounds)
          .isLessThan(MAX_RATIO);
      assertThat(d.logText()).contains("macros for stage CONNECT").contains("unknown command code")
          .doesNotContain("OutOfMemoryError");
    }
  }

  /** The median of normal sessions while {@link #FLOODERS} clients flood; the flood stops before it returns. */
  private static double flooded(PackagedDaemon d, byte[] flood, AtomicLong frames) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> flooders = new ArrayList<>();
    for (int i = 0; i < FLOODERS; i++) {
      Thread t = new Thread(() -> flood(d, flood, stop, frames), "macro-flood-" + i);
      t.setDaemon(true);
      t.start();
      flooders.add(t);
    }
    try {
      Thread.sleep(2000);
      return medianMillis(d, SAMPLES);
    } finally {
      stop.set(true);
      for (Thread t : flooders) {
        t.join(30_000);
      }
    }
  }

  /** MACRO for CONNECT: "a\0b\0" repeated up to the 1 MiB frame limit. */
  static byte[] macroFlood() {
    int pairs = (FRAME - 2) / 4;
    ByteBuffer b = ByteBuffer.allocate(4 + 2 + pairs * 4).putInt(2 + pairs * 4).put((byte) 'D').put((byte) 'C');
    byte[] pair = {'a', 0, 'b', 0};
    for (int i = 0; i < pairs; i++) {
      b.put(pair);
    }
    return b.array();
  }

  /** The same size of frame as {@link #macroFlood}, with a command code that does not exist. */
  static byte[] junkFlood() {
    byte[] frame = macroFlood();
    frame[4] = 'Z';
    return frame;
  }

  private static void flood(PackagedDaemon d, byte[] frame, AtomicBoolean stop, AtomicLong frames) {
    byte[] optneg = SlowPeerIT.frame('O', ByteBuffer.allocate(12).putInt(6).putInt(0x1ff).putInt(0x1fffff).array());
    byte[] sink = new byte[4096];
    while (!stop.get()) {
      try (Socket s = new Socket(d.address.getAddress(), d.address.getPort())) {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(optneg);
        out.write(frame);
        frames.incrementAndGet();
        while (in.read(sink) >= 0) {
          // the OPTNEG reply, then the close
        }
      } catch (IOException closedMidFrame) {
        // refused while sending: that is the point
      }
    }
  }

  /** Median of {@code samples} sessions; those not run within a minute count as infinitely slow. */
  private static double medianMillis(PackagedDaemon d, int samples) throws IOException {
    double[] ms = new double[samples];
    Arrays.fill(ms, Double.POSITIVE_INFINITY);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    for (int i = 0; i < samples && System.nanoTime() < deadline; i++) {
      long t0 = System.nanoTime();
      normalSession(d);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[samples / 2];
  }

  /** What Postfix sends up to HELO, on a new connection, each reply awaited. */
  private static void normalSession(PackagedDaemon d) throws IOException {
    try (MilterTestClient c = MilterTestClient.connect(d.address).timeout(Duration.ofSeconds(30))) {
      c.negotiate();
      c.macro('C', "j", "mx.example.net", "{daemon_name}", "smtpd", "_", "client.example.net [192.0.2.7]");
      c.connect("client.example.net", '4', 25, "192.0.2.7");
      c.macro('H', "{tls_version}", "TLSv1.3");
      assertThat(c.helo("client.example.net")).isPresent();
      c.quit();
    }
  }
}
