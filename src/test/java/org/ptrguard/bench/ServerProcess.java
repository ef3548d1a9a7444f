package org.ptrguard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A milter server under test running as its own process (ptrguard's jar or the libmilter baseline):
 * its milter address, its log, the time it took from process start to accepting connections, and
 * what the kernel says about its memory, threads and file descriptors.
 */
public class ServerProcess implements AutoCloseable {
  private final Process process;
  /** An {@link InetSocketAddress} or a {@link UnixDomainSocketAddress}. */
  private final SocketAddress milter;
  private final Path log;
  private final Duration startup;

  protected ServerProcess(Process process, SocketAddress milter, Path log, Duration startup) {
    this.process = process;
    this.milter = milter;
    this.log = log;
    this.startup = startup;
  }

  /**
   * Starts {@code command} with output to {@code log} and waits until {@code milter} (TCP or unix
   * socket) accepts a connection; the time from start to that accept is the start-up time.
   */
  static Started launch(List<String> command, SocketAddress milter, Path log, Duration limit) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("PTRGUARD_MODE");
    long t0 = System.nanoTime();
    Process p = pb.start();
    long deadline = t0 + limit.toNanos();
    while (true) {
      try {
        probe(milter);
        return new Started(p, Duration.ofNanos(System.nanoTime() - t0));
      } catch (IOException notYet) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IOException("server did not listen on " + milter + " within " + limit + ": " + command
              + "\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        sleep(2);
      }
    }
  }

  private static void probe(SocketAddress milter) throws IOException {
    if (milter instanceof InetSocketAddress inet) {
      try (Socket s = new Socket()) {
        s.connect(inet, 200);
      }
    } else {
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(milter);
      }
    }
  }

  record Started(Process process, Duration startup) {}

  /** The TCP address; the load generator speaks TCP only. */
  public InetSocketAddress milterAddress() {
    if (milter instanceof InetSocketAddress inet) {
      return inet;
    }
    throw new IllegalStateException("not listening on TCP: " + milter);
  }

  /** The address as Postfix's smtpd_milters names it. */
  public String target() {
    if (milter instanceof InetSocketAddress inet) {
      return "inet:" + inet.getHostString() + ":" + inet.getPort();
    }
    return "unix:" + ((UnixDomainSocketAddress) milter).getPath();
  }

  public long pid() {
    return process.pid();
  }

  public Duration startup() {
    return startup;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path logFile() {
    return log;
  }

  public String log() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** Lines of the log containing {@code needle}. */
  public long countLog(String needle) throws IOException {
    try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(needle)).count();
    }
  }

  public void awaitLog(String needle, long times, Duration limit) throws IOException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (countLog(needle) < times) {
      if (!isAlive() || System.nanoTime() > deadline) {
        throw new IOException("no '" + needle + "' (x" + times + ") in the log of pid " + pid() + ":\n" + tail());
      }
      sleep(20);
    }
  }

  /** The last 40 lines of the log. */
  public String tail() throws IOException {
    List<String> lines = log().lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** Resident set size in KiB (VmRSS). */
  public long rssKiB() throws IOException {
    return ProcStatus.of(pid()).kib("VmRSS");
  }

  public long threads() throws IOException {
    return ProcStatus.of(pid()).number("Threads");
  }

  public long openFds() throws IOException {
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
      return fds.count();
    }
  }

  /** CPU time the process used so far (user + system, all threads), in milliseconds; clock ticks are 10 ms. */
  public long cpuMillis() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
    // Fields after the command name (which is in parentheses and may contain spaces): utime is 14th, stime 15th.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
  }

  /** Sends a signal with kill(1), e.g. "HUP". */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + pid() + " failed");
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; returns the exit code. */
  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  public int exitValue() {
    return process.exitValue();
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** /proc/PID/status fields. */
  record ProcStatus(String text) {
    static ProcStatus of(long pid) throws IOException {
      return new ProcStatus(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    }

    long number(String field) {
      return text.lines().filter(l -> l.startsWith(field + ":")).findFirst()
          .map(l -> Long.parseLong(l.substring(field.length() + 1).trim().split("\\s+")[0]))
          .orElseThrow(() -> new IllegalStateException("no " + field + " in /proc status"));
    }

    long kib(String field) {
      return number(field);
    }
  }
}
