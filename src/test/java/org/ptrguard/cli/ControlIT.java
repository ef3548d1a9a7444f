package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.bench.PtrguardServer;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.TestDnsServer;

/**
 * The control endpoint against the packaged daemon: a real unix socket, the real {@code ptrguard
 * status} and {@code recheck} commands as separate processes, SIGHUP, and the loopback-only HTTP
 * form on the metrics listener. The reverse zone starts without the identity's PTR (a negative
 * answer cached for an hour), so only a recheck or a reload can make the daemon see the fix soon.
 */
class ControlIT {
  private static final String REVERSE = "2.0.192.in-addr.arpa";
  private static final String ZONE_HEAD = """
      $ORIGIN 2.0.192.in-addr.arpa.
      $TTL 3600
      @   IN SOA ns1.isp.example.net. hostmaster.isp.example.net. 1 3600 600 86400 3600
      @   IN NS  ns1.isp.example.net.
      11  IN PTR other.example.com.
      """;
  /** Generous DNS times: the machine these tests share may be loaded far beyond its cores. */
  private static final String PATIENT = "dns { timeout = 2s, check-budget = 10s }\n";
  private static final String FIXED = ZONE_HEAD + "10  IN PTR mail.example.com.\n";

  @Test
  void recheckMakesTheDaemonSeeAFixedPtrAtOnceAndStatusShowsItsView(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Path zone = work.resolve("reverse.zone");
    Files.writeString(zone, ZONE_HEAD);
    Path socket = work.resolve("control.sock");
    try (TestDnsServer dns = PtrguardServer.startDns().zone(REVERSE, zone);
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, PATIENT + "control.socket = \"" + socket + "\"", List.of())) {
      ptrguard.awaitLog("event=ready", 1, Duration.ofSeconds(30));
      ProcessResult broken = cli(work, "status", "--socket", socket.toString());
      assertThat(broken.exitCode()).as(broken.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
      assertThat(broken.stdout()).contains("identity default: 192.0.2.10  FAIL", "ptr.missing", "ptrguard recheck");
      // The receiver feedback's part of the status: nothing rejected yet.
      assertThat(broken.stdout()).contains("Receiver rejections in the last 24 h", "none seen");
      // The receiver matrix of the daemon's view, as check prints it: Gmail refuses a PTR-less IPv4 sender.
      assertThat(broken.stdout()).contains("receivers (what each kind of receiver does with this identity's mail):",
          "    gmail         reject 550 5.7.25", "Gmail IPv4: PTR and forward DNS required");
      Map<String, Object> before = identity(json(cli(work, "status", "--json", "--socket", socket.toString())));
      assertThat(before.get("verdict")).isEqualTo("fail");
      assertThat(before.get("family")).isEqualTo("ipv4");
      assertThat(receiver(before, "gmail")).containsEntry("outcome", "reject").containsEntry("code", "550 5.7.25");
      assertThat(receiver(before, "postfix").get("outcome")).isIn("tempfail", "reject");
      // Without a recheck the daemon would look again only when its records expire (minutes, not seconds).
      assertThat(((Number) before.get("next_check_in_seconds")).longValue()).isGreaterThan(120);

      Files.writeString(zone, FIXED);
      dns.zone(REVERSE, zone);
      ProcessResult recheck = cli(work, "recheck", "--socket", socket.toString());
      assertThat(recheck.exitCode()).as(recheck.describe()).isEqualTo(CheckCommand.EXIT_PASS);
      assertThat(recheck.stdout()).contains("rechecked every identity now", "identity default: 192.0.2.10  PASS",
          "mail.example.com");
      Map<String, Object> after = identity(json(cli(work, "status", "--json", "--socket", socket.toString())));
      assertThat(after.get("verdict")).isEqualTo("pass");
      assertThat(((Number) after.get("age_seconds")).longValue()).isLessThan(60);
      // The matrix follows the daemon's new report: every receiver now takes the mail.
      assertThat(receiver(after, "gmail")).containsEntry("outcome", "accept").containsEntry("rules", List.of());
      assertThat(receiver(after, "postfix")).containsEntry("outcome", "accept");
      assertThat(recheck.stdout()).contains("    gmail         accept");
      assertThat(ptrguard.log()).contains("event=recheck reason=request result=done");
      assertThat(ptrguard.log()).doesNotContain("Exception");
    }
  }

  @Test
  void sighupRechecksEveryIdentityEvenWhenTheConfigurationIsUnchanged(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Path zone = work.resolve("reverse.zone");
    Files.writeString(zone, ZONE_HEAD);
    Path socket = work.resolve("control.sock");
    String settings = PATIENT + "control.socket = \"" + socket + "\"";
    try (TestDnsServer dns = PtrguardServer.startDns().zone(REVERSE, zone);
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, settings, List.of())) {
      ptrguard.awaitLog("event=ready", 1, Duration.ofSeconds(30));
      assertThat(identity(json(cli(work, "status", "--json", "--socket", socket.toString()))).get("verdict"))
          .isEqualTo("fail");
      Files.writeString(zone, FIXED);
      dns.zone(REVERSE, zone);
      ptrguard.reload(settings); // the same file again, and SIGHUP: returns once the reload is applied
      Map<String, Object> after = identity(json(cli(work, "status", "--json", "--socket", socket.toString())));
      assertThat(after.get("verdict")).as("right after the reload").isEqualTo("pass");
      assertThat(ptrguard.log()).contains("event=recheck reason=reload result=done");
    }
  }

  @Test
  void onlyRootAndTheSocketsGroupMayConnect(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a client as nobody");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path socket = work.resolve("control.sock");
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, PATIENT + "control.socket = \"" + socket + "\"", List.of())) {
      ptrguard.awaitWarm();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
      String group = Files.getAttribute(socket, "posix:group").toString();
      String gid = Files.getAttribute(socket, "unix:gid").toString();
      ProcessResult stranger = cli(work, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
          "status", "--socket", socket.toString());
      assertThat(stranger.exitCode()).as(stranger.describe()).isEqualTo(ControlCommands.EXIT_NOPERM);
      assertThat(stranger.stderr()).contains("permission denied");
      ProcessResult member = cli(work, List.of("setpriv", "--reuid=65534", "--regid=65534", "--groups=" + gid),
          "status", "--socket", socket.toString());
      assertThat(member.exitCode()).as("a member of group " + group + ": " + member.describe())
          .isIn(CheckCommand.EXIT_PASS, CheckCommand.EXIT_WARN);
      assertThat(member.stdout()).contains("identity default: 192.0.2.10");
    }
  }

  @Test
  void theMetricsListenerAnswersStatusToLoopbackOnlyAndUnknownRequestsAreRefused(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    Optional<InetAddress> own = nonLoopbackAddress();
    int port = FreePorts.next();
    Path socket = work.resolve("control.sock");
    try (TestDnsServer dns = PtrguardServer.startDns();
         PtrguardServer ptrguard = PtrguardServer.start(work, dns, PATIENT + "control.socket = \"" + socket + "\"\n"
             + "metrics.listen = \"0.0.0.0:" + port + "\"", List.of())) {
      ptrguard.awaitLog("event=ready", 1, Duration.ofSeconds(30));
      HttpURLConnection local = http("127.0.0.1", port, "/status", "GET");
      assertThat(local.getResponseCode()).isEqualTo(200);
      String body = new String(local.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(identity(ControlCommands.parse(body)).get("ip")).isEqualTo("192.0.2.10");
      assertThat(http("127.0.0.1", port, "/recheck", "GET").getResponseCode()).as("recheck needs POST").isEqualTo(405);
      assertThat(http("127.0.0.1", port, "/recheck", "POST").getResponseCode()).isEqualTo(200);
      if (own.isPresent()) {
        HttpURLConnection remote = http(own.get().getHostAddress(), port, "/status", "GET");
        assertThat(remote.getResponseCode()).as("from " + own.get()).isEqualTo(403);
        assertThat(ptrguard.log()).contains("event=control-refused");
        assertThat(http(own.get().getHostAddress(), port, "/metrics", "GET").getResponseCode())
            .as("metrics stay as they were").isEqualTo(200);
      }
      String unknown = org.ptrguard.ops.ControlClient.request(socket, "shutdown now", Duration.ofSeconds(5));
      assertThat(ControlCommands.parse(unknown)).containsEntry("ok", false);
      assertThat(unknown).contains("unknown request 'shutdown now'", "status, recheck");
      String tooLong = org.ptrguard.ops.ControlClient.request(socket, "x".repeat(5000), Duration.ofSeconds(5));
      assertThat(tooLong).contains("\"ok\":false", "longer than 1024 bytes");
      Assumptions.assumeTrue(own.isPresent(), "no non-loopback address on this host to test the refusal from");
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    for (NetworkInterface n : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (n.isUp() && !n.isLoopback()) {
        for (InetAddress a : java.util.Collections.list(n.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
            return Optional.of(a);
          }
        }
      }
    }
    return Optional.empty();
  }

  private static HttpURLConnection http(String host, int port, String path, String method) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host + ":" + port + path).toURL().openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(5000);
    c.setReadTimeout(15000);
    return c;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> identity(Map<String, Object> status) {
    List<Object> ids = (List<Object>) status.get("identities");
    assertThat(ids).as("identities in " + status).hasSize(1);
    return (Map<String, Object>) ids.get(0);
  }

  /** The receiver matrix row of {@code receiver} in one identity of the status document. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> receiver(Map<String, Object> identity, String receiver) {
    List<Object> rows = (List<Object>) identity.get("receivers");
    assertThat(rows).as("receivers in " + identity).isNotEmpty();
    return rows.stream().map(r -> (Map<String, Object>) r).filter(r -> receiver.equals(r.get("receiver"))).findFirst()
        .orElseThrow(() -> new AssertionError("no receiver " + receiver + " in " + rows));
  }

  private static Map<String, Object> json(ProcessResult r) {
    assertThat(r.stdout()).as(r.describe()).startsWith("{");
    return ControlCommands.parse(r.stdout());
  }

  private static ProcessResult cli(Path work, String... args) {
    return cli(work, List.of(), args);
  }

  /** {@code ptrguard ARGS} as its own process, optionally behind {@code prefix} (setpriv ...). */
  private static ProcessResult cli(Path work, List<String> prefix, String... args) {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-jar",
        Path.of(System.getProperty("ptrguard.jar", "target/ptrguard.jar")).toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return org.ptrguard.testing.Commands.run(Duration.ofSeconds(60), command);
  }
}
