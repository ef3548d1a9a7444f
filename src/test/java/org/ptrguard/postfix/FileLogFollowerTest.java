package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.LogCapture;

/**
 * The file follower against real files written while it reads, rotated the two ways logrotate does:
 * every line arrives exactly once and in order.
 */
class FileLogFollowerTest {
  private static final LogFollower.Timing FAST =
      new LogFollower.Timing(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(10));
  private static final int LINES = 3000;

  @TempDir Path dir;
  private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

  private static String line(int i) {
    return String.format("Dec  3 07:00:00 mail01 postfix/smtp[%d]: line %06d of the test", 1000 + i % 50, i);
  }

  private static List<String> expected(int from, int to) {
    return IntStream.range(from, to).mapToObj(FileLogFollowerTest::line).toList();
  }

  @Test
  void renameRotationWhileWritingLosesAndRepeatsNothing() throws Exception {
    Path log = dir.resolve("mail.log");
    Files.writeString(log, line(-2) + "\n" + line(-1) + "\n"); // history: not replayed
    try (FileLogFollower f = new FileLogFollower(log, seen::add, FAST).start()) {
      waitUntil(() -> true, Duration.ofMillis(100));
      OutputStream out = new FileOutputStream(log.toFile(), true);
      for (int i = 0; i < LINES; i++) {
        if (i == 700 || i == 1900) {
          // logrotate renames; the writer keeps its old descriptor a little longer, as syslog does until HUP
          if (Files.exists(dir.resolve("mail.log.1"))) {
            Files.move(dir.resolve("mail.log.1"), dir.resolve("mail.log.2"), StandardCopyOption.REPLACE_EXISTING);
          }
          Files.move(log, dir.resolve("mail.log.1"));
        }
        if (i == 760 || i == 1960) {
          out.close();
          out = new FileOutputStream(log.toFile(), true);
        }
        out.write((line(i) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (i % 10 == 0) {
          Thread.sleep(2);
        }
      }
      out.close();
      waitUntil(() -> seen.size() >= LINES, Duration.ofSeconds(30));
      Thread.sleep(200); // anything repeated would arrive now
    }
    assertThat(seen).containsExactlyElementsOf(expected(0, LINES));
  }

  @Test
  void copytruncateWhileWritingLosesAndRepeatsNothing() throws Exception {
    Path log = dir.resolve("mail.log");
    Files.writeString(log, line(-1) + "\n");
    try (FileLogFollower f = new FileLogFollower(log, seen::add, FAST).start()) {
      waitUntil(() -> true, Duration.ofMillis(100));
      try (FileChannel writer = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
        for (int i = 0; i < LINES; i++) {
          if (i == 600 || i == 1500 || i == 2400) {
            // logrotate copytruncate: copy, then truncate the file the writer keeps appending to (O_APPEND)
            Files.copy(log, dir.resolve("mail.log.1"), StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
              t.truncate(0);
            }
            if (i == 1500) {
              // and this time the writer fills the file past the old read position before the next poll
              for (int k = 0; k < 200; k++, i++) {
                writer.write(StandardCharsets.UTF_8.encode(line(i) + "\n"));
              }
            }
          }
          writer.write(StandardCharsets.UTF_8.encode(line(i) + "\n"));
          if (i % 10 == 0) {
            Thread.sleep(2);
          }
        }
      }
      waitUntil(() -> seen.size() >= LINES, Duration.ofSeconds(30));
      Thread.sleep(200);
    }
    assertThat(seen).containsExactlyElementsOf(expected(0, LINES));
  }

  @Test
  void startsAtTheEndAndSkipsALineInProgress() throws Exception {
    Path log = dir.resolve("mail.log");
    Files.writeString(log, line(-2) + "\n" + "Dec  3 07:00:00 mail01 postfix/smtp[1]: half a li");
    try (FileLogFollower f = new FileLogFollower(log, seen::add, FAST).start()) {
      waitUntil(() -> true, Duration.ofMillis(150));
      Files.writeString(log, "ne\n" + line(1) + "\n", StandardOpenOption.APPEND);
      waitUntil(() -> !seen.isEmpty(), Duration.ofSeconds(10));
      Thread.sleep(100);
    }
    assertThat(seen).containsExactly(line(1));
  }

  @Test
  void aMissingFileIsALogLineAndIsReadFromItsStartWhenItAppears() throws Exception {
    Path log = dir.resolve("later.log");
    try (LogCapture logs = LogCapture.start(); FileLogFollower f = new FileLogFollower(log, seen::add, FAST).start()) {
      waitUntil(() -> logs.text().contains("event=feedback-source-problem"), Duration.ofSeconds(10));
      Files.writeString(log, line(1) + "\n" + line(2) + "\n");
      waitUntil(() -> seen.size() >= 2, Duration.ofSeconds(10));
      assertThat(logs.text()).contains("problem=missing").contains("event=feedback-source-ok");
      assertThat(logs.text().lines().filter(l -> l.contains("problem=missing")).count()).as("said once").isEqualTo(1);
    }
    assertThat(seen).containsExactly(line(1), line(2));
  }

  @Test
  void aPathThatCannotBeReadIsRetriedWithoutEndingTheFollower() throws Exception {
    Path log = dir.resolve("dir.log");
    Files.createDirectory(log); // unreadable as a file, even for root
    try (LogCapture logs = LogCapture.start(); FileLogFollower f = new FileLogFollower(log, seen::add, FAST).start()) {
      waitUntil(() -> logs.text().contains("event=feedback-source-problem"), Duration.ofSeconds(10));
      Files.delete(log);
      Files.writeString(log, line(5) + "\n");
      waitUntil(() -> !seen.isEmpty(), Duration.ofSeconds(10));
    }
    assertThat(seen).containsExactly(line(5));
  }

  @Test
  void aMegabyteLineIsCutAndTheNextLineStillArrives() throws Exception {
    Path log = dir.resolve("mail.log");
    Files.writeString(log, "");
    try (FileLogFollower f = new FileLogFollower(log, seen::add, FAST).start()) {
      waitUntil(() -> true, Duration.ofMillis(100));
      Files.writeString(log, "x".repeat(3_000_000) + "\n" + line(7) + "\n", StandardOpenOption.APPEND);
      waitUntil(() -> seen.size() >= 2, Duration.ofSeconds(10));
    }
    assertThat(seen.get(0)).hasSize(FileLogFollower.MAX_LINE);
    assertThat(seen.get(1)).isEqualTo(line(7));
  }

  static void waitUntil(BooleanSupplier condition, Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    if (max.toMillis() <= 200) {
      Thread.sleep(max.toMillis()); // a plain pause (lets the follower open the file at its end)
    }
  }
}
