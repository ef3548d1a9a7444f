package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.TestDnsServer.Fault;
import org.ptrguard.testing.TestDnsServer;

/** {@code ptrguard check} through the packaged jar, as an admin or cron runs it. */
class CheckCommandIT {
  static TestDnsServer dns;
  static String resolver;
  @TempDir Path dir;

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws IOException {
    dns = TestDnsServer.start()
        .zoneResource("example.com", "example.com.zone")
        .zoneResource("isp.example.net", "isp.example.net.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone")
        .fault("19.2.0.192.in-addr.arpa", Fault.SERVFAIL);
    resolver = "127.0.0.1:" + dns.address().getPort();
  }

  @AfterAll
  static void stop() {
    dns.close();
  }

  static Result ptrguard(String... args) throws Exception {
    return run(PtrguardProcess.command(), args);
  }

  static Result check(String ip, String ehlo, String... more) throws Exception {
    List<String> args = new ArrayList<>(List.of("check", "--ip", ip, "--ehlo", ehlo, "--resolver", resolver));
    args.addAll(List.of(more));
    return ptrguard(args.toArray(String[]::new));
  }

  @Test
  void exitStatusFollowsTheVerdict() throws Exception {
    assertThat(check("192.0.2.10", "mail.example.com").exit()).isEqualTo(0);
    assertThat(check("192.0.2.14", "mx2.example.com").exit()).isEqualTo(1);
    assertThat(check("192.0.2.13", "mail.example.com").exit()).isEqualTo(2);
    assertThat(check("192.0.2.19", "mail.example.com").exit()).isEqualTo(3);
  }

  @Test
  void usageErrorsAreOneClearLine() throws Exception {
    Result badIp = ptrguard("check", "--ip", "300.1.1.1");
    assertThat(badIp.exit()).isEqualTo(64);
    assertThat(badIp.err()).startsWith("ptrguard check: --ip '300.1.1.1' is not an IP address").doesNotContain("Exception");
    Result badResolver = ptrguard("check", "--resolver", "ns.example.net:53");
    assertThat(badResolver.exit()).isEqualTo(64);
    assertThat(badResolver.err()).contains("not an IP address").doesNotContain("\tat ");
    assertThat(ptrguard("check", "--frobnicate").exit()).isEqualTo(64);
  }

  /**
   * As an unprivileged user (nobody): an explicit --ip/--ehlo check needs no configuration and runs;
   * a configuration it cannot read is exit 78 naming the file, its owner, group and mode.
   */
  @Test
  void anyUserChecksAnExplicitIdentityAndAnUnreadableConfigurationIsNamed() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "needs root to run the jar as nobody");
    Path jar = dir.resolve("ptrguard.jar");
    Files.copy(PtrguardProcess.jar(), jar);
    Path secret = dir.resolve("ptrguard.conf");
    Files.writeString(secret, "mode = audit\n");
    Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(jar, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    List<String> asNobody = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
        PtrguardProcess.java(), "-jar", jar.toString()); // a copy of the jar the user nobody can read
    Result adHoc = run(asNobody, "check", "--ip", "192.0.2.10", "--ehlo", "mail.example.com", "--resolver", resolver);
    assertThat(adHoc.exit()).as(adHoc.err()).isZero();
    assertThat(adHoc.out()).contains("PASS");
    Result unreadable = run(asNobody, "check", "-c", secret.toString());
    assertThat(unreadable.exit()).isEqualTo(78);
    assertThat(unreadable.err()).contains(secret + ": not readable by this user (user nobody; the file is root:root rw-r-----");
  }

  static Result run(List<String> prefix, String... args) throws Exception {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(args));
    Process p = PtrguardProcess.builder(command).start();
    p.getOutputStream().close();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void brokenConfigurationExits78WithFileAndLine() throws Exception {
    Path conf = dir.resolve("ptrguard.conf");
    Files.writeString(conf, "mode = audit\ndns.timeout = soon\n");
    Result r = ptrguard("check", "--config", conf.toString());
    assertThat(r.exit()).isEqualTo(78);
    assertThat(r.err()).contains(conf + ": 2").contains("dns.timeout");
  }

  @Test
  void configuredIdentitiesAreChecked() throws Exception {
    Path conf = dir.resolve("ptrguard.conf");
    Files.writeString(conf, """
        identities = [ { name = main, ip = ["192.0.2.10"], ehlo = mail.example.com },
                       { name = news, ip = ["192.0.2.11"], ehlo = other.example.com, senders = [news.example.com] } ]
        dns.resolvers = ["%s"]
        """.formatted(resolver));
    Result r = ptrguard("check", "--config", conf.toString(), "--json");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).startsWith("{\"verdict\":\"fail\",\"identities\":[{\"name\":\"main\",\"ip\":\"192.0.2.10\"")
        .contains("{\"name\":\"news\",\"ip\":\"192.0.2.11\",\"ehlo\":\"other.example.com\",\"ptr\":[\"other.example.com\"],\"verdict\":\"fail\"");
  }

  @Test
  void jsonHasTheStableSchema() throws Exception {
    Result r = check("192.0.2.11", "mail.example.com", "--json");
    assertThat(r.exit()).isEqualTo(2);
    String json = r.out().trim();
    assertThat(json).startsWith("{\"verdict\":\"fail\",\"identities\":[{\"name\":\"command-line\",\"ip\":\"192.0.2.11\","
        + "\"ehlo\":\"mail.example.com\",\"ptr\":[\"other.example.com\"],\"verdict\":\"fail\",\"findings\":[{\"code\":\"fcrdns.mismatch\","
        + "\"severity\":\"fail\",\"message\":\"PTR name other.example.com does not resolve back to 192.0.2.11\",\"evidence\":[");
    assertThat(json).contains("\"fix\":\"Make the name resolve back: add other.example.com. A 192.0.2.11");
    assertThat(json).contains("{\"code\":\"ehlo.address-mismatch\",\"severity\":\"warn\"");
    // the receiver matrix: each profile's outcome, and the rules that fired with reply and source
    assertThat(json).contains("\"receivers\":[{\"receiver\":\"gmail\",\"profile\":\"gmail\",\"title\":\"Gmail\","
        + "\"outcome\":\"reject\",\"code\":\"550 5.7.25\",\"score\":null,\"rules\":[{\"name\":\"Gmail IPv4: PTR and forward DNS required\"");
    assertThat(json).contains("{\"receiver\":\"postfix\",\"profile\":\"postfix\",\"title\":\"Postfix receivers (default reject codes)\","
        + "\"outcome\":\"tempfail\",\"code\":\"450 4.7.25\",\"score\":null,\"rules\":[{\"name\":\"reject_unknown_client_hostname\","
        + "\"outcome\":\"tempfail\",\"code\":\"450 4.7.25\",\"score\":null,"
        + "\"reply\":\"Client host rejected: cannot find your hostname, [192.0.2.11]\"");
    assertThat(json).contains("{\"receiver\":\"spamassassin\",\"profile\":\"spamassassin\"");
    assertThat(json).contains("\"outcome\":\"spam-score\",\"code\":null,\"score\":2.399,\"rules\":[{\"name\":\"RDNS_NONE\"");
    // No daemon runs here, so nothing differs from its view (the key is always present), and the
    // receivers' rejections the daemon read are not available, with the reason.
    assertThat(json).contains("}],\"daemon_differs\":[],\"receiver_rejections\":{\"available\":false,"
        + "\"unavailable_reason\":\"the daemon is not running (no control socket at ");
    assertThat(json).contains("\"sources\":{\"ip\":\"command line\",\"ehlo\":\"command line\"},\"receiver_rejections\":null}");
    assertThat(json).endsWith(",\"window_hours\":24,\"other_identities\":[]}}");
    assertThat(json.lines()).hasSize(1);
  }

  @Test
  void humanReportMatchesTheExpectedText() throws Exception {
    Result r = check("192.0.2.11", "mail.example.com");
    assertThat(r.exit()).isEqualTo(2);
    String actual = r.out().replace(resolver, "127.0.0.1:PORT");
    String expected = new String(CheckCommandIT.class.getResourceAsStream("/check/expected-fcrdns-mismatch.txt").readAllBytes(),
        StandardCharsets.UTF_8);
    assertThat(actual).isEqualTo(expected);
    assertThat(actual.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
    assertThat(actual).doesNotContain("\u001b[");
  }
}
