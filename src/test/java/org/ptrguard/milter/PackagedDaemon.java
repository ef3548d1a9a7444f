package org.ptrguard.milter;


import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PtrguardProcess;

/**
 * The packaged jar as the launcher runs it (-Xmx64m, serial GC), listening on a free loopback port,
 * with a configuration of the test's choosing and its output in a file. DNS goes to a port nobody
 * answers on (the attacks here never reach a DNS lookup that matters).
 */
final class PackagedDaemon implements AutoCloseable {
  final InetSocketAddress address;
  final Path log;
  final Process process;
  private final PtrguardProcess ptrguard;

  private PackagedDaemon(InetSocketAddress address, PtrguardProcess ptrguard) {
    this.address = address;
    this.log = ptrguard.log();
    this.process = ptrguard.process();
    this.ptrguard = ptrguard;
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
    PtrguardProcess process = PtrguardProcess.start(PtrguardProcess.builder(PtrguardProcess.command(
        List.of("-Xms16m", "-Xmx64m", "-XX:+UseSerialGC"), "serve", "--config", conf.toString())), dir.resolve("ptrguard.log"));
    PackagedDaemon d = new PackagedDaemon(new InetSocketAddress("127.0.0.1", port), process);
    d.awaitLog("event=listening", 20);
    return d;
  }

  String logText() throws IOException {
    return ptrguard.logText();
  }

  List<String> logLines(String needle) throws IOException {
    return logText().lines().filter(l -> l.contains(needle)).toList();
  }

  void awaitLog(String needle, int seconds) throws Exception {
    ptrguard.awaitLog(needle, Duration.ofSeconds(seconds));
  }

  @Override
  public void close() throws InterruptedException {
    ptrguard.close();
  }
}
