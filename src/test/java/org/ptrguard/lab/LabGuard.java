package org.ptrguard.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ptrguard.testing.PtrguardProcess;

/**
 * The packaged ptrguard jar as its own process inside the sender's namespace, where Postfix reaches
 * its milter port on 127.0.0.1 and it reaches the lab DNS server. One process per scenario: each
 * starts with an empty verdict cache, so the first verdict is the one the scenario's zone gives.
 */
final class LabGuard implements AutoCloseable {
  static final int MILTER_PORT = 8894; // a fresh namespace: no other process can hold this port
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final Path log;

  private LabGuard(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Writes the config, starts ptrguard in {@code host}'s namespace and waits for "event=ready". */
  static LabGuard start(LabNetwork.Host host, Path dir, String name, String settings) throws Exception {
    return start(host, dir, name, settings, List.of());
  }

  /** As above, with {@code prefix} between entering the namespace and java (e.g. an unshare). */
  static LabGuard start(LabNetwork.Host host, Path dir, String name, String settings, List<String> prefix)
      throws Exception {
    Path conf = dir.resolve(name + ".conf");
    Path log = dir.resolve(name + ".log");
    Files.writeString(conf, settings);
    List<String> inside = new java.util.ArrayList<>(prefix);
    inside.addAll(PtrguardProcess.command(List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"),
        "serve", "--config", conf.toString()));
    List<String> command = host.exec(inside.toArray(String[]::new));
    ProcessBuilder builder = PtrguardProcess.builder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    LabGuard guard = new LabGuard(builder.start(), log);
    guard.awaitLog("event=ready", TIMEOUT);
    return guard;
  }

  /** ptrguard's configuration for one identity, resolving through the lab DNS server only. */
  static String config(String dnsServer, String ip, String ehlo, String settings) {
    return """
        listen = ["inet:127.0.0.1:%d"]
        identities = [ { name = default, ip = ["%s"], ehlo = "%s" } ]
        dns { resolvers = ["%s"], timeout = 1s, check-budget = 4s }
        # re-check every second (the lab zones have TTL 1), so a fixed zone is seen at once
        refresh { min = 1s, max = 1s }
        %s
        """.formatted(MILTER_PORT, ip, ehlo, dnsServer, settings);
  }

  /** SIGHUP: ptrguard re-reads its configuration (and in route mode Postfix's routes). */
  void reload() {
    org.ptrguard.testing.Commands.runOk(TIMEOUT, List.of("kill", "-HUP", Long.toString(process.pid())));
  }

  String log() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "<unreadable: " + e + ">";
    }
  }

  List<String> lines(String needle) {
    return log().lines().filter(l -> l.contains(needle)).toList();
  }

  /** Waits for a log line containing {@code needle}; returns it. Fails early if ptrguard died. */
  String awaitLog(String needle, Duration timeout) throws InterruptedException {
    return awaitLog(needle, line -> true, timeout);
  }

  /** As above, for the first line containing {@code needle} that also satisfies {@code which}. */
  String awaitLog(String needle, java.util.function.Predicate<String> which, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> hits = lines(needle).stream().filter(which).toList();
      if (!hits.isEmpty()) {
        return hits.get(0);
      }
      if (!process.isAlive()) {
        throw new AssertionError("ptrguard exited with " + process.exitValue() + " before logging '" + needle + "':\n" + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no '" + needle + "' in the ptrguard log within " + timeout + ":\n" + log());
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
