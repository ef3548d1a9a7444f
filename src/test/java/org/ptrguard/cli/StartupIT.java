package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PtrguardProcess;

/**
 * Start-up failures of the packaged jar (issue 19, defect 8): each names the listener and the cause in
 * one line and exits 69, and no listener ever accepted a connection before the failure (every
 * listener is bound before any listens). Also: a stale socket file is replaced while a live one is
 * not taken over, and staging directories left by a killed process are removed at the next start.
 */
class StartupIT {
  static final String IDENTITY = """
      identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
      dns { resolvers = ["127.0.0.1:9"], timeout = 200ms, check-budget = 1s }
      """;

  @TempDir
  Path dir;

  record Run(int exit, List<String> lines) {
    /** The log lines at level error (the one line a failed start is allowed). */
    List<String> errors() {
      return lines.stream().filter(l -> l.contains("level=error") || l.startsWith("ptrguard:")).toList();
    }
  }

  /** Runs the jar until it exits on its own (a start-up failure); fails if it is still running after 60 s. */
  Run failedStart(List<String> prefix, Path conf) throws Exception {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(PtrguardProcess.command(List.of("-Xmx64m"), "serve", "--config", conf.toString()));
    Process p = PtrguardProcess.builder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList());
  }

  Run failedStart(Path conf) throws Exception {
    return failedStart(List.of(), conf);
  }

  Path conf(String text) throws IOException {
    Path conf = dir.resolve("ptrguard-" + System.nanoTime() + ".conf");
    Files.writeString(conf, text + IDENTITY);
    return conf;
  }

  /** Connects to {@code port} in a loop until stopped, counting connections that succeeded. */
  static final class Prober implements AutoCloseable {
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();

    Prober(int port) {
      for (int i = 0; i < 2; i++) {
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            attempts.incrementAndGet();
            try (Socket s = new Socket()) {
              s.connect(new InetSocketAddress("127.0.0.1", port), 200);
              connected.incrementAndGet();
            } catch (IOException refused) {
              // expected: nothing listens
            }
          }
        }, "prober");
        t.start();
        threads.add(t);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(5000);
      }
    }
  }

  @Test
  void aTakenMetricsPortIsNamedAndTheMilterNeverAccepted() throws Exception {
    int milter = FreePorts.next();
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      Path conf = conf("listen = [\"inet:127.0.0.1:%d\"]\nmetrics.listen = \"127.0.0.1:%d\"\n"
          .formatted(milter, taken.getLocalPort()));
      Run run;
      Prober prober = new Prober(milter);
      try (prober) {
        run = failedStart(conf);
      }
      System.out.printf("startup: taken metrics port: exit %d, %d probes of the milter port, %d connected: %s%n",
          run.exit(), prober.attempts.get(), prober.connected.get(), run.errors());
      assertThat(run.exit()).isEqualTo(69);
      assertThat(run.errors()).singleElement().asString()
          .contains("metrics listener (metrics.listen) 127.0.0.1:" + taken.getLocalPort())
          .contains("address already in use");
      assertThat(prober.attempts.get()).as("the prober ran during the start").isPositive();
      assertThat(prober.connected.get()).as("connections the milter listener accepted before exiting").isZero();
    }
  }

  @Test
  void aTakenMilterPortAndAMissingSocketDirectoryAreNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Run tcp = failedStart(conf("listen = [\"inet:127.0.0.1:%d\"]\n".formatted(port)));
      assertThat(tcp.exit()).isEqualTo(69);
      assertThat(tcp.errors()).singleElement().asString()
          .contains("milter listener inet:127.0.0.1:" + port).contains("address already in use");
    }
    // A good TCP listener first, then a unix one whose directory is missing: the TCP one never accepts.
    int milter = FreePorts.next();
    Path missing = dir.resolve("no-such-dir").resolve("milter.sock");
    Run unix;
    Prober prober = new Prober(milter);
    try (prober) {
      unix = failedStart(conf("listen = [\"inet:127.0.0.1:%d\", \"unix:%s\"]\n".formatted(milter, missing)));
    }
    assertThat(unix.exit()).isEqualTo(69);
    assertThat(unix.errors()).singleElement().asString()
        .contains("milter listener unix:" + missing).contains("directory " + missing.getParent() + " does not exist");
    assertThat(prober.connected.get()).as("connections the TCP listener accepted before exiting").isZero();
  }

  @Test
  void aSocketDirectoryThatIsNotWritableIsNamed() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run the jar as nobody");
    Path jar = dir.resolve("ptrguard.jar");
    Files.copy(PtrguardProcess.jar(), jar);
    Path sockets = Files.createDirectory(dir.resolve("sockets")); // root's, 0755: nobody cannot write there
    Path conf = conf("listen = [\"unix:%s/milter.sock\"]\n".formatted(sockets));
    for (Path p : List.of(dir, sockets, conf, jar)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
    }
    // a copy of the jar that the user nobody can read
    List<String> command = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
        PtrguardProcess.java(), "-Xmx64m", "-jar", jar.toString(), "serve", "--config", conf.toString());
    Process p = PtrguardProcess.builder(command).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    Run run = new Run(p.exitValue(), lines);
    assertThat(run.exit()).as(String.join("\n", lines)).isEqualTo(69);
    assertThat(run.errors()).singleElement().asString()
        .contains("milter listener unix:" + sockets + "/milter.sock")
        .contains("directory " + sockets + " is not writable by user nobody");
  }

  @Test
  void aLiveSocketIsRefusedAStaleOneReplacedAndStagingDirectoriesOfDeadProcessesRemoved() throws Exception {
    Path socket = dir.resolve("milter.sock");
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(socket));
      Run run = failedStart(conf("listen = [\"unix:%s\"]\n".formatted(socket)));
      assertThat(run.exit()).isEqualTo(69);
      assertThat(run.errors()).singleElement().asString()
          .contains("milter listener unix:" + socket).contains("another process is accepting connections");
      assertThat(socket).exists();
    } // closed without unlinking: now a stale socket file, as after kill -9
    // What a kill -9 between bind and rename leaves: this version's .ptrguard-PID.N of a PID that is not
    // running (above pid_max), an earlier version's .ptrguard-DIGITS over a minute old with its socket
    // inside; and what must stay: the staging directory of a process that runs (this JVM), a fresh one.
    Path deadPid = Files.createDirectory(dir.resolve(".ptrguard-999999999.7"));
    Path oldStyle = Files.createDirectory(dir.resolve(".ptrguard-1728394756102938475"));
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(oldStyle.resolve("s")));
    }
    Files.setLastModifiedTime(oldStyle, FileTime.from(Instant.now().minusSeconds(3600)));
    Path running = Files.createDirectory(dir.resolve(".ptrguard-" + ProcessHandle.current().pid() + ".3"));
    Path freshOldStyle = Files.createDirectory(dir.resolve(".ptrguard-555"));
    Path unrelated = Files.createDirectory(dir.resolve(".ptrguard-cache"));
    Path conf = conf("listen = [\"unix:%s\"]\n".formatted(socket));
    Process p = PtrguardProcess.builder(PtrguardProcess.command(List.of("-Xmx64m"), "serve", "--config", conf.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(dir.resolve("serve.log")).contains("event=listening") && p.isAlive()
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      String log = Files.readString(dir.resolve("serve.log"));
      assertThat(log).contains("event=listening").contains("event=milter-stale-socket-removed");
      try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        assertThat(c.isConnected()).isTrue();
      }
      assertThat(deadPid).doesNotExist();
      assertThat(oldStyle).doesNotExist();
      assertThat(running).isDirectory();
      assertThat(freshOldStyle).isDirectory();
      assertThat(unrelated).isDirectory();
      assertThat(log.lines().filter(l -> l.contains("event=milter-stale-staging-removed"))).hasSize(2);
      try (var entries = Files.list(dir)) {
        assertThat(entries.map(e -> e.getFileName().toString()).filter(n -> n.startsWith(".ptrguard-")))
            .as("no staging directory of this start is left").hasSize(3);
      }
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
