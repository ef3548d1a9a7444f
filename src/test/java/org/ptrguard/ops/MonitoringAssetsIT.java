package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.TestDnsServer;

/**
 * packaging/monitoring against a real daemon: the packaged jar runs with a metrics endpoint and one
 * identity, and its /metrics must carry every series the Grafana dashboard and the alert rules use
 * (present from the start, zeros included); promtool checks and unit-tests the rules.
 */
class MonitoringAssetsIT {
  static final Path MONITORING = Path.of("packaging/monitoring");
  static final Path RULES = MONITORING.resolve("ptrguard-alerts.yml");
  static final Path DASHBOARD = MONITORING.resolve("ptrguard-dashboard.json");
  /** Series the rules use before ptrguard exports them; each must be named in a comment there. */
  static final Set<String> PENDING = Set.of();
  static final Pattern METRIC = Pattern.compile("\\bptrguard_[a-z0-9_]+");

  @TempDir
  static Path dir;
  static TestDnsServer dns;
  static Process ptrguard;
  static String scrape;
  static Set<String> exported;

  @BeforeAll
  static void startDaemonAndScrape() throws Exception {
    dns = TestDnsServer.start().zoneResource("example.com", "example.com.zone")
        .zoneResource("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone");
    int metricsPort = FreePorts.next();
    Path conf = Files.writeString(dir.resolve("ptrguard.conf"), """
        listen = ["inet:127.0.0.1:%d"]
        metrics.listen = "127.0.0.1:%d"
        identities = [ { name = default, ip = ["192.0.2.10"], ehlo = mail.example.com } ]
        dns { resolvers = ["127.0.0.1:%d"], timeout = 2s, check-budget = 4s }
        """.formatted(FreePorts.next(), metricsPort, dns.address().getPort()));
    Path log = dir.resolve("ptrguard.log");
    // G1 named explicitly: the GC help must name the collector in use, whatever the JVM's default here.
    ptrguard = PtrguardProcess.builder(PtrguardProcess.command(List.of("-XX:+UseG1GC"), "serve", "--config", conf.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + metricsPort + "/metrics");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String body = "";
    // Scraped once the identity has its first verdict, so every kind of series is there.
    while (!body.contains("verdict=\"pass\"} 1") && System.nanoTime() < deadline) {
      assertThat(ptrguard.isAlive()).as("ptrguard died:\n" + Files.readString(log)).isTrue();
      try {
        body = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
      } catch (IOException notYetListening) {
        body = "";
      }
      Thread.sleep(100);
    }
    scrape = body;
    assertThat(scrape).as("identity checked within 60 s; log:\n" + Files.readString(log)).contains("verdict=\"pass\"} 1");
    exported = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^# TYPE (\\S+) ").matcher(scrape);
    while (m.find()) {
      exported.add(m.group(1));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (ptrguard != null) {
      ptrguard.destroy();
      ptrguard.waitFor(20, TimeUnit.SECONDS);
    }
    if (dns != null) {
      dns.close();
    }
  }

  @Test
  void everySeriesIsThereFromTheStart() {
    assertThat(scrape).contains("\nptrguard_smtp_path_identity_waits_total 0\n")
        .contains("\nptrguard_build_info{version=\"" + System.getProperty("ptrguard.version") + "\",java=\"")
        .contains("ptrguard_decisions_total{mode=\"audit\",action=\"accept\",verdict=\"fail\"} 0\n")
        .contains("ptrguard_dns_lookups_total{outcome=\"timeout\"} 0\n")
        .contains("ptrguard_milter_connections_refused_total{reason=\"max-connections\"} 0\n")
        .contains("ptrguard_milter_protocol_errors_total 0\n")
        .contains("ptrguard_identity_verdict{identity=\"default\",ip=\"192.0.2.10\",verdict=\"fail\"} 0\n")
        .containsPattern("ptrguard_identity_last_check_timestamp_seconds\\{identity=\"default\",ip=\"192.0.2.10\"} [1-9]")
        .contains("ptrguard_receiver_rejections_total{identity=\"default\",family=\"ipv4\",class=\"fcrdns\"} 0\n")
        .contains("ptrguard_receiver_rejection_last_timestamp_seconds{identity=\"default\"} 0\n");
    assertThat(scrape).containsPattern("# HELP ptrguard_jvm_gc_seconds_total .*runs the G1 collector").doesNotContain("serial");
  }

  @Test
  void dashboardHasItsPanelsAndUsesOnlyExportedMetrics() throws IOException {
    Config dashboard = ConfigFactory.parseString(Files.readString(DASHBOARD, StandardCharsets.UTF_8),
        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    List<String> titles = new ArrayList<>();
    List<String> exprs = new ArrayList<>();
    for (Config panel : dashboard.getConfigList("panels")) {
      titles.add(panel.getString("title"));
      if (panel.hasPath("targets")) {
        panel.getConfigList("targets").forEach(t -> exprs.add(t.getString("expr")));
        assertThat(panel.getConfigList("targets")).as(panel.getString("title")).isNotEmpty();
      }
    }
    assertThat(titles).contains("Decisions", "Identities", "DNS health", "Decisions per second", "Identity verdicts",
        "Time since the last identity check", "SMTP sessions that waited for an identity check", "DNS lookups by outcome",
        "DNS lookups without an answer", "Versions", "Receiver feedback", "Receiver rejections",
        "Time since the last receiver rejection");
    Set<String> used = metricsIn(String.join("\n", exprs));
    assertThat(used).as("metrics the dashboard queries").isNotEmpty();
    assertThat(exported).as("the daemon's /metrics").containsAll(used);
    assertThat(dashboard.getConfigList("templating.list").get(1).getString("query.query")).isEqualTo("label_values(ptrguard_build_info, instance)");
  }

  @Test
  void alertRulesUseExportedMetricsAndPassPromtool() throws Exception {
    String rules = Files.readString(RULES, StandardCharsets.UTF_8);
    assertThat(rules).contains("alert: PtrguardIdentityFailing", "alert: PtrguardIdentityUnchecked",
        "alert: PtrguardSmtpPathWaits", "alert: PtrguardReceiverRejections");
    Set<String> used = metricsIn(rules);
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(exported);
    assertThat(missing).as("metrics the rules use that ptrguard does not export").isEqualTo(PENDING);
    for (String pending : PENDING) {
      assertThat(exported).as(pending + " is exported now: drop it from PENDING and the comment in " + RULES).doesNotContain(pending);
      assertThat(rules).contains("# " + pending);
    }
    assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS");
    assertThat(promtool("test", "rules", MONITORING.resolve("ptrguard-alerts.test.yml").toString())).contains("SUCCESS");
  }

  private static Set<String> metricsIn(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  private static String promtool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("promtool not found: install the Debian package prometheus (.ci/install-deps)", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool " + String.join(" ", args) + ":\n" + out).isZero();
    return out;
  }
}
