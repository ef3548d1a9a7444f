package org.ptrguard.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;
import org.xbill.DNS.ReverseMap;

/**
 * The lab's DNS server: a private Unbound (Debian package unbound) run inside the lab DNS namespace,
 * authoritative ({@code auth-zone}, no recursion) for the forward zone example.com and the reverse
 * zones of the lab's IPv4 and IPv6 ranges. Its config, zone files, control socket and log live in
 * a directory of its own; the system's unbound is never touched.
 *
 * <p>{@link #publish(Zones)} rewrites every zone from the templates in {@code src/test/resources/lab/}
 * plus the scenario's records and has Unbound reload them ({@code unbound-control auth_zone_reload},
 * which answers only once the new zone is loaded).
 */
final class LabDns implements AutoCloseable {
  static final List<String> ZONES = List.of("example.com", "2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa",
      "8.b.d.0.1.0.0.2.ip6.arpa");
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final LabNetwork.Host host;
  private final Path dir;
  private final Path conf;
  private Process process;
  private int serial = 1;

  private LabDns(LabNetwork.Host host, Path dir, Path conf) {
    this.host = host;
    this.dir = dir;
    this.conf = conf;
  }

  /** Starts Unbound in {@code host}'s namespace serving {@code initial}; returns once it answers control. */
  static LabDns start(LabNetwork.Host host, Path dir, Zones initial) throws IOException, InterruptedException {
    Map<String, Path> files = new LinkedHashMap<>();
    ZONES.forEach(zone -> files.put(zone, dir.resolve(zone + ".zone")));
    return launch(host, dir, files, null, dns -> dns.writeZones(initial));
  }

  /** How Unbound fails a name of {@link #serve}: as a resolver whose upstream is broken would. */
  enum Failure {
    /** SERVFAIL at once (an auth-zone without data). */
    SERVFAIL,
    /** No answer at all (a local-zone of type deny): the client's query times out. */
    TIMEOUT
  }

  /**
   * Starts Unbound serving ready zone files ({@code zones}: zone name to file) and failing the names of
   * {@code failures} (each with everything below it); any other name is NXDOMAIN. {@link #publish} is for
   * the templated lab zones of {@link #start} only.
   */
  static LabDns serve(LabNetwork.Host host, Path dir, Map<String, Path> zones, Map<String, Failure> failures)
      throws IOException, InterruptedException {
    return launch(host, dir, zones, failures, dns -> { });
  }

  private interface Preparation {
    void prepare(LabDns dns) throws IOException;
  }

  /** @param failures null for the lab zones of {@link #start} (other names: Unbound's defaults) */
  private static LabDns launch(LabNetwork.Host host, Path dir, Map<String, Path> zones, Map<String, Failure> failures,
      Preparation preparation) throws IOException, InterruptedException {
    Path unbound = Commands.require("unbound", "unbound");
    Commands.require("unbound-control", "unbound");
    Files.createDirectories(dir);
    // unbound drops nothing (username ""), but keep the directory readable for a look after a failure
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path conf = dir.resolve("unbound.conf");
    Files.writeString(conf, config(host, dir, zones, failures));
    LabDns dns = new LabDns(host, dir, conf);
    preparation.prepare(dns);
    dns.process = new ProcessBuilder(host.exec(unbound.toString(), "-d", "-c", conf.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("unbound.out").toFile()).start();
    try {
      dns.awaitControl();
    } catch (RuntimeException | InterruptedException e) {
      dns.close();
      throw e;
    }
    return dns;
  }

  private static String config(LabNetwork.Host host, Path dir, Map<String, Path> zones, Map<String, Failure> failures) {
    StringBuilder c = new StringBuilder("server:\n");
    c.append("  interface: ").append(host.ipv4()).append("\n  interface: ").append(host.ipv6()).append('\n');
    c.append("  port: 53\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n");
    c.append("  directory: \"").append(dir).append("\"\n  pidfile: \"\"\n  use-syslog: no\n");
    c.append("  logfile: \"").append(dir.resolve("unbound.log")).append("\"\n  verbosity: 1\n  num-threads: 1\n");
    c.append("  access-control: 0.0.0.0/0 allow\n  access-control: ::/0 allow\n  module-config: \"iterator\"\n");
    if (failures == null) {
      // Unbound answers the TEST-NET reverse zones itself (as empty local zones) unless told not to.
      for (String zone : zones.keySet()) {
        c.append("  local-zone: \"").append(zone).append(".\" nodefault\n");
      }
    } else {
      // A closed world: names outside the served zones get NXDOMAIN at once, as a non-existent
      // top-level domain gets from the root (without this, Unbound would try to reach the root servers
      // and fail with SERVFAIL after timeouts). Transparent zones with no data pass to the auth zones.
      c.append("  local-zone: \".\" static\n");
      for (String zone : zones.keySet()) {
        c.append("  local-zone: \"").append(zone).append(".\" transparent\n");
      }
    }
    Map<String, Failure> failing = failures == null ? Map.of() : failures;
    failing.forEach((name, how) -> {
      if (how == Failure.TIMEOUT) {
        // local zones are consulted before auth zones: the query is dropped
        c.append("  local-zone: \"").append(name).append(".\" deny\n");
      }
    });
    c.append("remote-control:\n  control-enable: yes\n  control-use-cert: no\n");
    c.append("  control-interface: \"").append(dir.resolve("control.sock")).append("\"\n");
    zones.forEach((zone, file) -> c.append("auth-zone:\n  name: \"").append(zone).append(".\"\n  zonefile: \"").append(file)
        .append("\"\n  for-downstream: yes\n  for-upstream: no\n  fallback-enabled: no\n"));
    failing.forEach((name, how) -> {
      if (how == Failure.SERVFAIL) {
        // an auth zone with no data: Unbound answers SERVFAIL for everything at and below it
        c.append("auth-zone:\n  name: \"").append(name).append(".\"\n  for-downstream: yes\n  for-upstream: no\n")
            .append("  fallback-enabled: no\n");
      }
    });
    return c.toString();
  }

  /** Rewrites every zone with {@code zones}' records and waits until Unbound serves them. */
  void publish(Zones zones) throws IOException {
    requireAlive();
    writeZones(zones);
    for (String zone : ZONES) {
      ProcessResult r = control("auth_zone_reload", zone + ".");
      if (!r.ok() || !r.stdout().contains("ok")) {
        throw new IllegalStateException("unbound did not reload " + zone + ": " + r.describe() + "\n" + log());
      }
    }
  }

  private void writeZones(Zones zones) throws IOException {
    serial++;
    for (String zone : ZONES) {
      String template = resource(zone + ".zone");
      String records = String.join("\n", zones.records().getOrDefault(zone, List.of()));
      Files.writeString(dir.resolve(zone + ".zone"),
          template.replace("@SERIAL@", Integer.toString(serial)).replace("@RECORDS@", records));
    }
  }

  private void awaitControl() throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    ProcessResult status;
    do {
      requireAlive();
      status = control("status");
      if (status.ok()) {
        return;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException("unbound did not come up: " + status.describe() + "\n" + log());
  }

  private ProcessResult control(String... args) {
    List<String> command = new ArrayList<>(List.of("unbound-control", "-c", conf.toString()));
    command.addAll(List.of(args));
    return Commands.run(TIMEOUT, command);
  }

  private void requireAlive() {
    if (process != null && !process.isAlive()) {
      throw new IllegalStateException("unbound exited with " + process.exitValue() + "\n" + log());
    }
  }

  /** Unbound's own output and log, for failure messages. */
  String log() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("unbound.out", "unbound.log")) {
      Path file = dir.resolve(name);
      try {
        if (Files.exists(file)) {
          out.append("--- ").append(name).append(" ---\n").append(Files.readString(file));
        }
      } catch (IOException e) {
        out.append(name).append(": ").append(e);
      }
    }
    return out.toString();
  }

  String address() {
    return host.ipv4();
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static String resource(String name) {
    try (InputStream in = LabDns.class.getResourceAsStream("/lab/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource lab/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A scenario's records, by zone; each line in zone-file syntax relative to its zone. */
  record Zones(Map<String, List<String>> records) {
    static Zones empty() {
      return new Zones(Map.of());
    }

    /** An A or AAAA record for {@code label}.example.com. */
    Zones address(String label, String ip) {
      String type = ip.contains(":") ? "AAAA" : "A";
      return with("example.com", label + " IN " + type + " " + ip);
    }

    /** An MX record: mail for {@code label}.example.com goes to {@code host}.example.com. */
    Zones mx(String label, String host) {
      return with("example.com", label + " IN MX 10 " + host);
    }

    /** A PTR for {@code ip}, put into whichever lab reverse zone covers it. */
    Zones ptr(String ip, String name) {
      String reverse;
      try {
        reverse = ReverseMap.fromAddress(InetAddress.getByName(ip)).toString();
      } catch (java.net.UnknownHostException e) {
        throw new IllegalArgumentException(ip, e);
      }
      for (String zone : ZONES) {
        if (reverse.endsWith("." + zone + ".")) {
          return with(zone, reverse + " IN PTR " + name + ".");
        }
      }
      throw new IllegalArgumentException("no lab reverse zone covers " + ip);
    }

    private Zones with(String zone, String line) {
      Map<String, List<String>> copy = new LinkedHashMap<>(records);
      List<String> lines = new ArrayList<>(copy.getOrDefault(zone, List.of()));
      lines.add(line);
      copy.put(zone, List.copyOf(lines));
      return new Zones(Map.copyOf(copy));
    }
  }
}
