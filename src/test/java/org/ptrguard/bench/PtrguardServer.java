package org.ptrguard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.TestDnsServer;

/**
 * The packaged jar as a daemon, the way the .deb runs it (the JVM flags of packaging/bin/ptrguard),
 * checking one coherent identity (192.0.2.10, mail.example.com) against a test DNS server, so that
 * once warm every session is decided from the cache. Configuration changes are a rewritten file and
 * SIGHUP, as with {@code systemctl reload}.
 */
public final class PtrguardServer extends ServerProcess {
  public static final String IDENTITY = "{ name = default, ip = [\"192.0.2.10\"], ehlo = mail.example.com }";

  /** When the monitor retries a check that ended unknown: refresh.min (60 s by default), at most 30 s. */
  static final Duration FAILED_CHECK_RETRY = Duration.ofSeconds(30);

  private final Path conf;
  private final int milterPort;
  private final int metricsPort;
  private final int dnsPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PtrguardServer(Started started, InetSocketAddress milter, Path log, Path conf, int metricsPort,
      int dnsPort) {
    super(started.process(), milter, log, started.startup());
    this.conf = conf;
    this.milterPort = milter.getPort();
    this.metricsPort = metricsPort;
    this.dnsPort = dnsPort;
  }

  /** The DNS server every bench run uses: the zones that make {@link #IDENTITY} coherent. */
  public static TestDnsServer startDns() throws IOException {
    return TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
  }

  /**
   * Starts the jar with {@code settings} (extra config lines, e.g. "mode = audit") and the launcher's JVM
   * flags plus {@code extraJvmFlags}; returns once it listens (not yet warm: see {@link #awaitWarm}).
   */
  public static PtrguardServer start(Path workDir, TestDnsServer dns, String settings, List<String> extraJvmFlags)
      throws IOException {
    Files.createDirectories(workDir);
    int milterPort = FreePorts.next();
    int metricsPort = FreePorts.next();
    Path conf = workDir.resolve("ptrguard.conf");
    Path log = workDir.resolve("ptrguard.log");
    Files.writeString(conf, config(milterPort, metricsPort, dns.address().getPort(), settings));
    List<String> command = new ArrayList<>(List.of(javaBinary()));
    command.addAll(Launcher.jvmFlags(workDir));
    command.addAll(extraJvmFlags);
    command.addAll(List.of("-jar", jar().toString(), "serve", "--config", conf.toString()));
    InetSocketAddress milter = new InetSocketAddress("127.0.0.1", milterPort);
    Started started = launch(command, milter, log, Duration.ofSeconds(30));
    return new PtrguardServer(started, milter, log, conf, metricsPort, dns.address().getPort());
  }

  static String config(int milterPort, int metricsPort, int dnsPort, String settings) {
    return """
        listen = ["inet:127.0.0.1:%d"]
        metrics.listen = "127.0.0.1:%d"
        identities = [ %s ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 2s, check-budget = 5s }
        limits.max-connections = 2000
        %s
        """.formatted(milterPort, metricsPort, IDENTITY, dnsPort, settings);
  }

  /**
   * Waits for the first identity verdict (event=ready) and a pass verdict in the metrics. Stops the
   * server when it never gets warm: callers write {@code start(...).awaitWarm()} in a
   * try-with-resources header, which closes nothing when this throws (such servers were left running).
   *
   * <p>The DNS settings above are the daemon's defaults (2 s, 5 s): with 500 ms, a first check run by
   * a cold JVM on a loaded machine timed out now and then, and a check that ends unknown is retried
   * only after {@link #FAILED_CHECK_RETRY}. So the wait for pass covers two such retries; it ends as
   * soon as the verdict is there.
   */
  public PtrguardServer awaitWarm() throws IOException, InterruptedException {
    try {
      awaitLog("event=ready", 1, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + FAILED_CHECK_RETRY.multipliedBy(2).plusSeconds(20).toNanos();
      while (metric("ptrguard_identity_verdict{identity=\"default\",ip=\"192.0.2.10\",verdict=\"pass\"}") != 1) {
        if (System.nanoTime() > deadline) {
          throw new IOException("identity never became pass:\n" + tail());
        }
        Thread.sleep(20);
      }
      return this;
    } catch (IOException | InterruptedException | RuntimeException e) {
      try {
        close();
      } catch (IOException | RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /** Rewrites the configuration with {@code settings} and sends SIGHUP; returns once it is applied. */
  public void reload(String settings) throws IOException, InterruptedException {
    long before = countLog("event=reload result=applied");
    Files.writeString(conf, config(milterPort, metricsPort, dnsPort, settings));
    signal("HUP");
    awaitLog("event=reload result=applied", before + 1, Duration.ofSeconds(20));
  }

  /** Sends SIGHUP after rewriting the file, without waiting for the reload to be applied. */
  public void reloadAsync(String settings) throws IOException, InterruptedException {
    Files.writeString(conf, config(milterPort, metricsPort, dnsPort, settings));
    signal("HUP");
  }

  /**
   * Rewrites the configuration in place as an editor or {@code cat > file} does: truncate, write the
   * first half, pause {@code midWrite}, write the rest. A reader in between sees an empty or a
   * half-written file. Sends no signal.
   */
  public void rewriteInPlace(String settings, Duration midWrite) throws IOException, InterruptedException {
    byte[] text = config(milterPort, metricsPort, dnsPort, settings).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(conf,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
      int half = text.length / 2;
      f.write(java.nio.ByteBuffer.wrap(text, 0, half));
      Thread.sleep(midWrite.toMillis());
      f.write(java.nio.ByteBuffer.wrap(text, half, text.length - half));
    }
  }

  public String metrics() throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The value of one exact series (name plus labels), 0 if absent. */
  public long metric(String series) throws IOException, InterruptedException {
    return sum(metrics(), series + " ");
  }

  /** DNS lookups ptrguard made, all outcomes (ptrguard_dns_lookups_total). */
  public long dnsLookups() throws IOException, InterruptedException {
    return sum(metrics(), "ptrguard_dns_lookups_total");
  }

  /** Garbage collections so far, all collectors (ptrguard_jvm_gc_collections_total). */
  public long gcCollections() throws IOException, InterruptedException {
    return sum(metrics(), "ptrguard_jvm_gc_collections_total");
  }

  /** Seconds spent in garbage collection so far, all collectors (ptrguard_jvm_gc_seconds_total). */
  public double gcSeconds() throws IOException, InterruptedException {
    return metrics().lines().filter(l -> l.startsWith("ptrguard_jvm_gc_seconds_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static long sum(String body, String prefix) {
    return body.lines().filter(l -> l.startsWith(prefix) && !l.startsWith("#"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  static Path jar() {
    return PtrguardProcess.jar();
  }

  static String javaBinary() {
    return PtrguardProcess.java();
  }

}
