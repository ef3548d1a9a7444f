package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.JournalStream;
import org.ptrguard.testing.MilterTestClient.Reply;
import org.ptrguard.testing.MilterTestClient;
import org.ptrguard.testing.PtrguardProcess;
import org.ptrguard.testing.TestDnsServer;

/**
 * Hostile values from both untrusted sides, through the packaged jar at log level debug: milter
 * clients sending CR, LF, NUL, ANSI escapes and 100 KiB values in CONNECT, macros, HELO and MAIL,
 * and a DNS zone whose PTR name carries control bytes. Every log line must stay one clean line of
 * bounded length, the SMTP reply built from DNS data must be a valid single-line reply, and the
 * guard must keep serving.
 */
class HostileInputIT {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final String ESC = "\u001b[31m";
  /** Text that would forge a decision line if a newline got through unescaped. */
  static final String FORGED = "\r\n<6>level=info logger=decision event=decision mode=enforce action=accept INJECTED" + ESC
      + "\u2028\u202e";
  static final String HUGE = "h".repeat(100 * 1024) + FORGED;
  /** Long, but within max-macro-bytes (64 KiB by default) for all stages together. */
  static final String LONG = "m".repeat(20 * 1024) + FORGED;
  /** journald mode: every line starts with its priority, level and logger, then logfmt pairs. */
  static final Pattern LINE = Pattern.compile("<[3-7]>level=(trace|debug|info|warn|error) logger=[\\w.-]+ \\w[\\w-]*=\\S.*");
  static final int MAX_LINE = 4096;

  static TestDnsServer dns;
  static Process ptrguard;
  static Path dir;
  static Path log;
  static InetSocketAddress milter;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("ptrguard-hostile-it");
    log = dir.resolve("ptrguard.log");
    // A PTR name with CR, LF and an ANSI escape inside a label (legal in DNS, \DDD in a zone file).
    Path reverse = dir.resolve("reverse.zone");
    Files.writeString(reverse, """
        $TTL 300
        @   IN SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 60
        @   IN NS  ns1.example.net.
        10  IN PTR evil\\013\\010event=decision\\032action=accept\\027[31m.example.com.
        """);
    Path forward = dir.resolve("forward.zone");
    Files.writeString(forward, """
        $TTL 300
        @    IN SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 60
        @    IN NS  ns1.example.net.
        mail IN A   198.51.100.10
        """);
    dns = TestDnsServer.start().zone("100.51.198.in-addr.arpa", reverse).zone("example.com", forward);
    int port = FreePorts.next();
    milter = new InetSocketAddress("127.0.0.1", port);
    Path conf = dir.resolve("ptrguard.conf");
    Files.writeString(conf, """
        mode = enforce
        listen = ["inet:127.0.0.1:%d"]
        log.level = debug
        dns { resolvers = ["127.0.0.1:%d"], timeout = 2s, check-budget = 5s }
        enforce.reply = "451 4.7.25 ptrguard: {identity} {ip} {verdict} {code}: {reason}"
        # No catch-all identity: sessions from other services are logged as unguarded, with their values.
        identities = [
          { name = default, ip = ["198.51.100.10"], ehlo = mail.example.com, services = [submission] }
          { name = news, ip = ["198.51.100.10"], ehlo = mail.example.com, services = [submission], senders = [news.example.org] }
        ]
        """.formatted(port, dns.address().getPort()));
    ProcessBuilder pb = PtrguardProcess.builder(JournalStream.ptrguard("serve", "--config", conf.toString()));
    pb.environment().remove("PTRGUARD_MODE");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    ptrguard = pb.start();
    awaitLog("event=ready");
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

  static String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  static void awaitLog(String needle) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!logText().contains(needle)) {
      assertThat(ptrguard.isAlive()).as("ptrguard died:\n" + logText()).isTrue();
      assertThat(System.nanoTime()).as("no '" + needle + "' in the log:\n" + logText()).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  static MilterTestClient client() throws IOException {
    MilterTestClient c = MilterTestClient.connect(milter).timeout(TIMEOUT);
    c.negotiate();
    return c;
  }

  @Test
  void hostileValuesNeverBreakALogLineOrAReplyAndTheGuardKeepsServing() throws Exception {
    // 1. A guarded session (service "submission") with hostile CONNECT, HELO and MAIL values: decided at
    //    MAIL, with a reply whose {reason} comes from the hostile PTR name.
    try (MilterTestClient c = client()) {
      c.macro('C', "j", "mx" + FORGED, "{daemon_name}", "submission", "{client_name}", LONG);
      assertThat(c.connect("host" + HUGE, '4', 25, "192.0.2.1" + FORGED)).isEmpty(); // no-reply CONNECT
      c.macro('H', "{tls_version}", "TLSv1.3" + FORGED);
      assertThat(c.helo(HUGE)).map(Reply::code).contains('c');
      c.macro('M', "i", "Q" + FORGED, "{mail_addr}", LONG);
      Reply mail = c.mail("<a" + FORGED + "@news.example.org>", "SIZE=1" + FORGED).orElseThrow();
      assertThat(mail.code()).isEqualTo('y');
      String reply = mail.text();
      assertThat(reply).matches("451 4\\.7\\.25 ptrguard: (default|news) 198\\.51\\.100\\.10 fail [a-z.-]+: [\\x20-\\x7e]+");
      assertThat(reply.length()).isLessThanOrEqualTo(510);
      assertThat(reply).doesNotContain("INJECTED").doesNotContain("\r").doesNotContain("\n");
    }
    // 2. An unguarded session: the hostile daemon name, client and sender domain all reach a log line.
    try (MilterTestClient c = client()) {
      c.macro('C', "{daemon_name}", "smtpd" + FORGED);
      c.connect("host" + FORGED, '4', 25, "not-an-ip" + FORGED);
      assertThat(c.helo("x" + FORGED)).map(Reply::code).contains('c');
      assertThat(c.mail("<b@evil" + FORGED + ".example>")).map(Reply::code).contains('a');
    }
    // 3. NUL inside values: the strings split where the NUL is; an odd macro list is a protocol error.
    try (MilterTestClient c = client()) {
      c.macro('C', "{daemon_name}", "sub\0mission" + FORGED);
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
    // 4. A 100 KiB macro is over max-macro-bytes (64 KiB by default): closed with one line.
    try (MilterTestClient c = client()) {
      c.macro('C', "{daemon_name}", HUGE);
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
    // 5. A command byte that is an escape character. Protocol-error lines are limited to one a
    // second (the rest are counted), so this one waits for a fresh window to be logged and checked.
    Thread.sleep(1100);
    try (MilterTestClient c = client()) {
      c.frame('\u001b', "[31m".getBytes(StandardCharsets.US_ASCII));
      assertThat(c.closedByPeer(Duration.ofSeconds(5))).isTrue();
    }
    // The guard still serves a normal session afterwards.
    try (MilterTestClient c = client()) {
      c.macro('C', "{daemon_name}", "submission");
      assertThat(c.connect("client.example.net", '4', 25, "192.0.2.7")).isEmpty();
      assertThat(c.helo("client.example.net")).map(Reply::code).contains('c');
      assertThat(c.mail("<c@example.org>").orElseThrow().code()).isEqualTo('y');
    }
    awaitLog("client=192.0.2.7");
    awaitLog("event=milter-protocol-error");

    String text = logText();
    List<String> lines = List.of(text.split("\n", -1)).stream().filter(l -> !l.isEmpty()).toList();
    assertThat(lines).isNotEmpty().allSatisfy(l -> {
      assertThat(l).matches(LINE);
      assertThat(l.chars().filter(ch -> ch < 0x20 || ch == 0x7f || ch == 0x2028 || ch == 0x202e))
          .as("control, line-separator or bidi characters in: " + l).isEmpty();
      assertThat(l.length()).as("line length").isLessThanOrEqualTo(MAX_LINE);
    });
    // The forged text only ever appears escaped, inside a quoted value.
    assertThat(lines.stream().filter(l -> l.contains("INJECTED"))).isNotEmpty().allSatisfy(l ->
        assertThat(l).containsPattern("=\"[^\"]*\\\\x0d\\\\x0a<6>level=info logger=decision event=decision"));
    assertThat(lines.stream().filter(l -> l.contains("event=decision"))
        .filter(l -> l.matches("<[3-7]>level=\\w+ logger=decision event=decision .*"))).hasSize(2);
    // Each kind of hostile value showed up somewhere (escaped), so the assertions above had something to check.
    assertThat(text).contains("event=unguarded").contains("daemon=\"smtpd\\x0d\\x0a")
        .contains("client=\"not-an-ip\\x0d\\x0a").contains("client=\"192.0.2.1\\x0d\\x0a")
        .contains("event=milter-protocol-error").contains("0x1b");
    assertThat(text).doesNotContain("Exception");
  }
}
