package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ptrguard.testing.FreePorts;

/**
 * The packaged jar as the launcher runs it (-Xmx64m, serial GC), listening on a free loopback port,
 * with a configuration of the test's choosing and its output in a file. DNS goes to a port nobody
 * answers on (the attacks here never reach a DNS lookup that matters).
 */
final class PackagedDaemon implements AutoCloseable {
  final InetSocketAddress address;
  final Path log;
  final Process process;

  private PackagedDaemon(InetSocketAddress address, Path log, Process process) {
    this.address = address;
    this.log = log;
    this.process = process;
  }

  /** {@code extraConfig} is appended to a minimal configuration (listener, one identity, dead DNS). */
  static PackagedDaemon start(Path dir, String extraConfig) throws Exception {
    int port = FreePorts.next();
    Path conf = dir.resolve("ptrguard.conf");
    Files.writeString(conf, """
        listen = ["inet:127.0.0.1:%d"]
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
        dns { resolvers = ["127.0.0.1:9"], timeout = 200ms, check-budget = 1s }
        """.formatted(port) + extraConfig);
    Path log = dir.resolve("ptrguard.log");
    Process p = new ProcessBuilder(List.of("java", "-Xms16m", "-Xmx64m", "-XX:+UseSerialGC",
        "-jar", System.getProperty("ptrguard.jar", "target/ptrguard.jar"), "serve", "--config", conf.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PackagedDaemon d = new PackagedDaemon(new InetSocketAddress("127.0.0.1", port), log, p);
    d.awaitLog("event=listening", 20);
    return d;
  }

  String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  List<String> logLines(String needle) throws IOException {
    return logText().lines().filter(l -> l.contains(needle)).toList();
  }

  void awaitLog(String needle, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!logText().contains(needle)) {
      assertThat(process.isAlive()).as("ptrguard died: " + logText()).isTrue();
      assertThat(System.nanoTime()).as("no '" + needle + "' in the log within " + seconds + " s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
