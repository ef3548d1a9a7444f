package org.ptrguard.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A private unbound (Debian package unbound) on a free loopback port, recursing only into stub
 * zones served by test authoritative servers: a real caching resolver (no AA bit, TTLs counted
 * down, negative answers cached for the SOA's time). Never asks the machine's own resolver.
 */
public final class UnboundResolver implements AutoCloseable {
  private static final Path UNBOUND = Path.of("/usr/sbin/unbound");

  private final Process process;
  private final InetSocketAddress address;
  private final Path log;

  private UnboundResolver(Process process, InetSocketAddress address, Path log) {
    this.process = process;
    this.address = address;
    this.log = log;
  }

  /**
   * @param stubs zone name (without the trailing dot) -> "ADDRESS@PORT" of its authoritative server
   */
  public static UnboundResolver start(Path dir, Map<String, String> stubs) throws IOException, InterruptedException {
    if (!Files.isExecutable(UNBOUND)) {
      throw new IllegalStateException("unbound is needed: apt-get install unbound");
    }
    int port = FreePorts.next();
    StringBuilder conf = new StringBuilder("server:\n"
        + "  interface: 127.0.0.1@" + port + "\n  port: " + port + "\n"
        + "  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"" + dir + "\"\n"
        + "  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n"
        + "  do-not-query-localhost: no\n  module-config: \"iterator\"\n  access-control: 127.0.0.0/8 allow\n"
        + "  num-threads: 1\n");
    for (String zone : stubs.keySet()) {
      // unbound's built-in local zones (TEST-NET reverse zones, ...) would answer before the stubs
      conf.append("  local-zone: \"").append(zone).append(".\" nodefault\n");
    }
    conf.append("remote-control:\n  control-enable: no\n");
    stubs.forEach((zone, at) -> conf.append("stub-zone:\n  name: \"").append(zone).append(".\"\n  stub-addr: ")
        .append(at).append('\n'));
    Path file = dir.resolve("unbound.conf");
    Files.writeString(file, conf.toString());
    Path log = dir.resolve("unbound.log");
    Process p = new ProcessBuilder(UNBOUND.toString(), "-d", "-c", file.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    UnboundResolver r = new UnboundResolver(p, new InetSocketAddress("127.0.0.1", port), log);
    r.awaitListening(stubs.keySet().iterator().next(), Duration.ofSeconds(10));
    return r;
  }

  public InetSocketAddress address() {
    return address;
  }

  /** The resolver's own output so far (for assertion messages). */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Asks the resolver one question (to fill its cache), returning its reply. */
  public Message ask(String name, int type) throws IOException {
    SimpleResolver r = new SimpleResolver(address);
    r.setTimeout(Duration.ofSeconds(2));
    return r.send(Message.newQuery(Record.newRecord(Name.fromString(name.endsWith(".") ? name : name + "."), type,
        DClass.IN)));
  }

  /** Until it answers a question of a stub zone (never one that would send it to the Internet). */
  private void awaitListening(String zone, Duration timeout) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        ask(zone, Type.SOA);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          close();
          throw new IOException("unbound did not start: " + log());
        }
        Thread.sleep(100);
      }
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
