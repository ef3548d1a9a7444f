package org.ptrguard.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * Captures what the loggers write while it is open. slf4j-simple (and ptrguard's provider built
 * on it) looks up {@code System.err} at every line unless told to cache it, so swapping the
 * stream is enough; the original stream still gets every byte, so surefire's report keeps the log.
 * Tests run one at a time in the surefire JVM, which makes the global swap safe.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream original;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private LogCapture() {
    this.original = System.err;
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        original.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        original.write(b, off, len);
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  public static LogCapture start() {
    return new LogCapture();
  }

  /** Everything written so far, exactly as written (line breaks included). */
  public String text() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  /** The captured text split at LF only, so a stray CR stays visible inside its line. */
  public List<String> lines() {
    return List.of(text().split("\n", -1)).stream().filter(l -> !l.isEmpty()).toList();
  }

  public List<String> linesContaining(String needle) {
    return lines().stream().filter(l -> l.contains(needle)).toList();
  }

  /** Waits until a line matches; returns it, or fails with everything captured. */
  public String await(Predicate<String> line, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (String l : lines()) {
        if (line.test(l)) {
          return l;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no matching log line within " + timeout + "; captured:\n" + text());
      }
      Thread.sleep(10);
    }
  }

  public String await(String needle, Duration timeout) throws InterruptedException {
    return await(l -> l.contains(needle), timeout);
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }
}
