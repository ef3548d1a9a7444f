package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four loopback clients send zero-length frames in a loop for five seconds, each on a new
 * connection. Every one of them is closed with a reason, but the log gets at most one line per
 * reason and second, the later lines carrying how many were left out ({@code suppressed=N}).
 * Before the rate limit this produced one warning per connection: tens of thousands of lines.
 */
class LogFloodIT {
  static final int CLIENTS = 4;
  static final long FLOOD_NANOS = TimeUnit.SECONDS.toNanos(5);
  static final Pattern SUPPRESSED = Pattern.compile("suppressed=(\\d+)");

  @TempDir
  Path dir;

  @Test
  void zeroLengthFloodGivesBoundedLogLinesWithSuppressedCounts() throws Exception {
    try (PackagedDaemon d = PackagedDaemon.start(dir, "")) {
      int linesBefore = d.logText().lines().toList().size();
      AtomicLong connections = new AtomicLong();
      List<Thread> clients = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < CLIENTS; i++) {
        Thread t = new Thread(() -> flood(d, start, connections));
        t.start();
        clients.add(t);
      }
      for (Thread t : clients) {
        t.join();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      // The last windows' counts arrive with the next line: one more rejected frame after a second.
      Thread.sleep(1100);
      oneZeroLengthFrame(d, connections);
      Thread.sleep(300);

      List<String> lines = d.logText().lines().skip(linesBefore).toList();
      List<String> rejected = lines.stream().filter(l -> l.contains("event=milter-frame-rejected")).toList();
      long suppressed = rejected.stream().mapToLong(LogFloodIT::suppressed).sum();
      System.out.printf("log-flood: %d connections in %.1f s; %d log lines (%.1f/s), %d frame-rejected lines, "
          + "suppressed=%d in total%n", connections.get(), seconds, lines.size(), lines.size() / seconds,
          rejected.size(), suppressed);
      assertThat(connections.get()).as("the flood ran").isGreaterThan(200);
      // One window per reason and second, plus the line after the flood; other lines (none expected) alike.
      assertThat(lines.size()).as("log lines for %d connections", connections.get())
          .isLessThanOrEqualTo((int) Math.ceil(seconds) * 3 + 3);
      assertThat(rejected).isNotEmpty().allSatisfy(l -> assertThat(l).contains("reason=zero-length"));
      // Every rejected connection is either a line or counted in one.
      assertThat(rejected.size() + suppressed).isEqualTo(connections.get());
    }
  }

  private static void flood(PackagedDaemon d, long start, AtomicLong connections) {
    while (System.nanoTime() - start < FLOOD_NANOS) {
      oneZeroLengthFrame(d, connections);
    }
  }

  /** Connects, sends a zero length, waits for the close. */
  private static void oneZeroLengthFrame(PackagedDaemon d, AtomicLong connections) {
    byte[] sink = new byte[64];
    try (Socket s = new Socket(d.address.getAddress(), d.address.getPort())) {
      s.setSoTimeout(5000);
      try {
        s.getOutputStream().write(new byte[4]);
        InputStream in = s.getInputStream();
        while (in.read(sink) >= 0) {
          // until the server closes
        }
      } catch (java.io.IOException resetByTheClose) {
        // still one rejected frame
      }
      connections.incrementAndGet();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long suppressed(String line) {
    Matcher m = SUPPRESSED.matcher(line);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
