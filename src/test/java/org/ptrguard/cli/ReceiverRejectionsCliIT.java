package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.TestDnsServer;

/**
 * {@code ptrguard check} and {@code routes} show, per identity and route, the receiver rejections the
 * running daemon read from Postfix's log in the last 24 hours, by asking it over the control socket;
 * with the daemon stopped they say so in one line (JSON: available false and the reason) and still
 * answer with the verdict's exit status. The daemon is the packaged jar in route mode over a private
 * Postfix configuration (smtp leaves as 203.0.113.10, which passes; smtp-b as 203.0.113.13, which has
 * no PTR), following a mail log to which real Postfix lines are appended (DeliveryLogIT's run, kept
 * as real-maillog.txt).
 */
class ReceiverRejectionsCliIT {
  private static final String REAL_LOG = "/org/ptrguard/postfix/real-maillog.txt";

  @Test
  void checkAndRoutesShowTheDaemonsRejectionsPerIdentityAndSayWhenTheDaemonIsGone(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work) throws Exception {
    List<String> real = realLines();
    String smtpPtr = line(real, "07:48:41 ", "/smtp[22567]: E5C58212752: to=");        // cannot find your hostname
    String smtpBFirst = line(real, "07:48:41 ", "smtp-b/smtp[22568]: B596F212466: to="); // IPv6 reverse DNS, Microsoft
    String smtpBAgain = line(real, "07:48:43 ", "smtp-b/smtp[22568]: B596F212466: to="); // a retry: the same rejection
    String smtpHelo = line(real, "7FE8D212766: to=", "status=bounced");                   // need fully-qualified hostname
    String spam = line(real, "837A8212764: to=", "status=bounced");                                       // not ptrguard's business

    try (TestDnsServer dns = TestDnsServer.start()
             .zoneResource("example.org", "examples/example.org.zone")
             .zoneResource("113.0.203.in-addr.arpa", "examples/113.0.203.in-addr.arpa.zone");
         PrivatePostfix postfix = PrivatePostfix.builder("rejections-cli")
             .parameter("smtp_bind_address", "203.0.113.10")
             .parameter("smtp_helo_name", "mail.example.org")
             .parameter("transport_maps", "inline:{ {outlook.example.net = smtp-b:} }")
             .masterCfLine("smtp-b unix - - n - - smtp -o smtp_bind_address=203.0.113.13 -o smtp_helo_name=mail.example.org")
             .skipStartProbe()
             .build()) {
      Path mailLog = Files.createFile(work.resolve("mail.log"));
      Path socket = work.resolve("control.sock");
      Path conf = work.resolve("ptrguard.conf");
      Files.writeString(conf, """
          listen = ["inet:127.0.0.1:%d"]
          control.socket = "%s"
          routes { enabled = yes, postfix-config = "%s" }
          feedback.source = "file:%s"
          dns { resolvers = ["127.0.0.1:%d"], timeout = 2s, check-budget = 10s }
          """.formatted(FreePorts.next(), socket, postfix.configDir(), mailLog, dns.address().getPort()));

      try (PtrguardProcess daemon = PtrguardProcess.start(PtrguardProcess.builder("serve", "--config", conf.toString()),
          work.resolve("ptrguard.log"))) {
        daemon.awaitLog("event=feedback-following", Duration.ofSeconds(60));
        // in order: the retry is read before the last rejection, so three events mean all five lines were read
        append(mailLog, smtpPtr, smtpBFirst, spam, smtpBAgain, smtpHelo);
        awaitCount(daemon, "event=receiver-rejection", 3);

        ProcessResult check = cli("check", "--config", conf.toString());
        assertThat(check.exitCode()).as(check.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
        assertThat(block(check.stdout(), "identity smtp:")).contains("rejections:", "2 rejections in the last 24 h",
            "by 127.0.0.1[127.0.0.1] (helo)", "need fully-qualified hostname");
        assertThat(block(check.stdout(), "identity smtp-b:")).contains("1 rejection in the last 24 h",
            "by ::1[::1] (ipv6-ptr)", "must have reverse DNS record");
        assertThat(check.stdout()).doesNotContain("not available").doesNotContain("Content Filtering");

        Map<String, Object> checkJson = json(check("--json", conf));
        assertThat(rejections(identity(checkJson, "smtp-b"))).containsEntry("count", 1)
            .containsEntry("last_receiver", "::1[::1]").containsEntry("last_class", "ipv6-ptr");
        assertThat(rejections(identity(checkJson, "smtp"))).containsEntry("count", 2).containsEntry("last_class", "helo");
        assertThat(rejections(checkJson)).containsEntry("available", true).containsEntry("unavailable_reason", null)
            .containsEntry("other_identities", List.of());

        ProcessResult routes = cli("routes", "--config", conf.toString());
        assertThat(routes.exitCode()).as(routes.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
        assertThat(block(routes.stdout(), "route smtp-b")).contains("1 rejection in the last 24 h", "(ipv6-ptr)");
        Map<String, Object> routesJson = json(cli("routes", "--config", conf.toString(), "--json"));
        assertThat(rejections(route(routesJson, "smtp-b"))).containsEntry("count", 1);
        assertThat(rejections(route(routesJson, "smtp"))).containsEntry("count", 2)
            .containsEntry("last_receiver", "127.0.0.1[127.0.0.1]");
        assertThat(rejections(routesJson)).containsEntry("available", true);
      }

      // The daemon is gone: one line says so, the verdict and its exit status stay.
      ProcessResult alone = cli("check", "--config", conf.toString());
      assertThat(alone.exitCode()).as(alone.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
      assertThat(alone.stdout()).contains("identity smtp-b:").doesNotContain("rejections:");
      // one line, wrapped at 80 columns with an indented continuation
      String unwrapped = alone.stdout().replace("\n  ", " ");
      assertThat(unwrapped.lines().filter(l -> l.contains("receiver rejections")).toList()).as(alone.stdout())
          .containsExactly("receiver rejections (24 h): not available: the daemon is not running (no control socket at "
              + socket + ")");
      Map<String, Object> aloneJson = json(check("--json", conf));
      assertThat(rejections(aloneJson)).containsEntry("available", false);
      assertThat(String.valueOf(rejections(aloneJson).get("unavailable_reason"))).contains("the daemon is not running (no control socket at " + socket + ")");
      assertThat(identity(aloneJson, "smtp-b")).containsEntry("receiver_rejections", null);
      ProcessResult routesAlone = cli("routes", "--config", conf.toString(), "--json");
      assertThat(routesAlone.exitCode()).as(routesAlone.describe()).isEqualTo(CheckCommand.EXIT_FAIL);
      assertThat(rejections(json(routesAlone))).containsEntry("available", false);

      // A daemon that follows no log: not "none", but why it cannot tell.
      Files.writeString(conf, Files.readString(conf) + "feedback.source = off\n");
      try (PtrguardProcess daemon = PtrguardProcess.start(PtrguardProcess.builder("serve", "--config", conf.toString()),
          work.resolve("ptrguard-off.log"))) {
        daemon.awaitLog("event=feedback-off", Duration.ofSeconds(60));
        Map<String, Object> off = json(check("--json", conf));
        assertThat(rejections(off)).containsEntry("available", false)
            .containsEntry("unavailable_reason", "the daemon does not follow Postfix's log now: feedback.source = off");
        assertThat(identity(off, "smtp")).containsEntry("receiver_rejections", null);
      }
    }
  }

  private static List<String> realLines() throws IOException {
    try (var in = ReceiverRejectionsCliIT.class.getResourceAsStream(REAL_LOG)) {
      assertThat(in).as(REAL_LOG).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** The one real log line containing all of {@code parts}. */
  private static String line(List<String> lines, String... parts) {
    List<String> found = lines.stream().filter(l -> List.of(parts).stream().allMatch(l::contains)).toList();
    assertThat(found).as("lines with " + List.of(parts)).hasSize(1);
    return found.get(0);
  }

  private static void append(Path log, String... lines) throws IOException {
    Files.writeString(log, String.join("\n", lines) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private static void awaitCount(PtrguardProcess daemon, String needle, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (daemon.logText().split(java.util.regex.Pattern.quote(needle), -1).length - 1 < count) {
      assertThat(System.nanoTime()).as("%d x %s in:%n%s", count, needle, daemon.logText()).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** The text from the line starting with {@code head} to the next blank line, its wrapped lines joined. */
  private static String block(String text, String head) {
    int from = text.indexOf("\n" + head);
    assertThat(from).as("'" + head + "' in:\n" + text).isNotNegative();
    int to = text.indexOf("\n\n", from + 1);
    return text.substring(from, to < 0 ? text.length() : to).replaceAll("\\s*\\n\\s+", " "); // unwrapped
  }

  private static ProcessResult check(String flag, Path conf) {
    return cli("check", "--config", conf.toString(), flag);
  }

  private static ProcessResult cli(String... args) {
    List<String> command = new ArrayList<>(PtrguardProcess.command(List.of("-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData"), args));
    return Commands.run(Duration.ofSeconds(90), command);
  }

  private static Map<String, Object> json(ProcessResult r) {
    assertThat(r.stdout()).as(r.describe()).startsWith("{");
    return ControlCommands.parse(r.stdout());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> rejections(Map<String, Object> m) {
    assertThat(m.get("receiver_rejections")).as("receiver_rejections in " + m).isInstanceOf(Map.class);
    return (Map<String, Object>) m.get("receiver_rejections");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> identity(Map<String, Object> doc, String name) {
    return ((List<Map<String, Object>>) doc.get("identities")).stream().filter(i -> name.equals(i.get("name")))
        .findFirst().orElseThrow(() -> new AssertionError("no identity " + name + " in " + doc));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> route(Map<String, Object> doc, String service) {
    return ((List<Map<String, Object>>) doc.get("routes")).stream().filter(r -> service.equals(r.get("service")))
        .findFirst().orElseThrow(() -> new AssertionError("no route " + service + " in " + doc));
  }
}
