package org.ptrguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Postfix's {@code smtp-sink} on a free loopback port, writing every received message to its own file
 * (smtp-sink prepends X-Client-Addr, X-Helo-Args, X-Mail-Args and X-Rcpt-Args headers). The process
 * is killed on {@link #close()} and at JVM exit.
 */
public final class SmtpSink implements AutoCloseable {
  private static final int BACKLOG = 100;

  private final Process process;
  private final int port;
  private final Path directory;

  private SmtpSink(Process process, int port, Path directory) {
    this.process = process;
    this.port = port;
    this.directory = directory;
  }

  public static SmtpSink start() {
    Path binary = Commands.require("smtp-sink", "postfix");
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        return tryStart(binary, FreePorts.next());
      } catch (IllegalStateException portTaken) {
        last = portTaken; // another process took the port between probe and bind
      }
    }
    throw last;
  }

  private static SmtpSink tryStart(Path binary, int port) {
    try {
      Path dir = Files.createTempDirectory("ptrguard-sink-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      // smtp-sink drops to user postfix (-u) and appends a unique suffix to the dump file name (-d)
      Process process = new ProcessBuilder(binary.toString(), "-u", "postfix", "-d", dir + "/msg.",
          "127.0.0.1:" + port, Integer.toString(BACKLOG))
          .redirectErrorStream(true).redirectOutput(dir.resolveSibling(dir.getFileName() + ".log").toFile())
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "smtp-sink-kill"));
      SmtpSink sink = new SmtpSink(process, port, dir);
      sink.awaitListening();
      return sink;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start smtp-sink", e);
    }
  }

  public int port() {
    return port;
  }

  public InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  public Path directory() {
    return directory;
  }

  /** Number of complete messages received so far. */
  public int messageCount() {
    return messageFiles().size();
  }

  /**
   * Deletes the messages received so far. Benchmarks call it between runs: a directory that keeps
   * growing makes every later run pay more for smtp-sink's file creation and for counting (seen as
   * throughput sinking run after run in a 150,000-message suite).
   */
  public void clear() {
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every received message (with smtp-sink's X- headers), oldest first. */
  public List<String> messages() {
    return messageFiles().stream().map(SmtpSink::read).toList();
  }

  /** Waits until at least {@code count} messages arrived; returns all messages. */
  public List<String> awaitMessages(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (messageCount() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("smtp-sink on port " + port + " received " + messageCount() + " of " + count
            + " messages within " + timeout);
      }
      sleep(50);
    }
    return messages();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
      Files.deleteIfExists(directory.resolveSibling(directory.getFileName() + ".log"));
    } catch (IOException ignored) {
      // temp files: harmless if one survives
    }
  }

  /**
   * smtp-sink writes the file while DATA streams in; a file counts as complete once its size stayed
   * the same for a short while (the sink closes it before answering 250, so this is conservative).
   */
  private List<Path> messageFiles() {
    try {
      java.util.Map<Path, Long> before = sizes();
      sleep(30);
      java.util.Map<Path, Long> after = sizes();
      return after.entrySet().stream()
          .filter(e -> e.getValue() > 0 && e.getValue().equals(before.get(e.getKey())))
          .map(java.util.Map.Entry::getKey)
          .sorted(Comparator.comparing(SmtpSink::modified).thenComparing(Path::toString)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private java.util.Map<Path, Long> sizes() throws IOException {
    java.util.Map<Path, Long> sizes = new java.util.HashMap<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.toList()) {
        try {
          sizes.put(file, Files.size(file));
        } catch (IOException vanished) {
          // not ours to worry about
        }
      }
    }
    return sizes;
  }

  private static long modified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitListening() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("smtp-sink exited with " + process.exitValue() + ": " + startupLog());
      }
      try (Socket probe = new Socket()) {
        probe.connect(address(), 500);
        return; // the sink treats a connect-and-close as a dropped client: harmless
      } catch (IOException notYet) {
        sleep(30);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException("smtp-sink did not listen on port " + port + ": " + startupLog());
  }

  private String startupLog() {
    try {
      return Files.readString(directory.resolveSibling(directory.getFileName() + ".log"));
    } catch (IOException e) {
      return "<no output>";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
