package org.ptrguard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Proves the harness itself against the installed Postfix, without any milter. */
class PrivatePostfixIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern QUEUED_AS = Pattern.compile("queued as ([0-9A-Za-z]+)");

  @Test
  void smtpSessionIsQueuedAndDeliveredToTheSink() throws Exception {
    try (SmtpSink sink = SmtpSink.start();
        PrivatePostfix postfix = PrivatePostfix.builder("harness").relayTo(sink).build().start()) {
      String queueId;
      try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
        assertThat(client.greeting().line()).isEqualTo("220 harness.mta.test ESMTP");
        SmtpReply ehlo = client.ehlo("client.example.test");
        assertThat(ehlo.code()).isEqualTo(250);
        assertThat(ehlo.rawLines()).first().isEqualTo("250-harness.mta.test");
        assertThat(client.mail("sender@example.test").line()).isEqualTo("250 2.1.0 Ok");
        assertThat(client.rcpt("rcpt@dest.example.test").line()).isEqualTo("250 2.1.5 Ok");
        SmtpReply queued = client.data("Subject: harness check\nFrom: sender@example.test\n\n.leading dot\nbody\n");
        assertThat(queued.code()).isEqualTo(250);
        assertThat(queued.enhancedCode()).contains("2.0.0");
        queueId = queueId(queued);
        assertThat(client.quit().code()).isEqualTo(221);
      }
      List<String> received = sink.awaitMessages(1, TIMEOUT);
      assertThat(received.get(0))
          .contains("X-Mail-Args: <sender@example.test>")
          .contains("X-Rcpt-Args: <rcpt@dest.example.test>")
          .contains("Subject: harness check")
          .contains("\n.leading dot\n"); // dot-stuffing undone on the way
      assertThat(postfix.waitForLog(queueId + ": to=<rcpt@dest.example.test>.*status=sent", TIMEOUT))
          .contains("relay=127.0.0.1[127.0.0.1]:" + sink.port());
      assertThat(postfix.queueCount()).isZero();
      // The benchmark empties the sink between runs and counts what arrives next.
      sink.clear();
      assertThat(sink.messageCount()).isZero();
      assertThat(sink.messages()).isEmpty();
    }
  }

  @Test
  void ipv6ClientIsAcceptedOnTheIpv6Listener() throws Exception {
    try (PrivatePostfix postfix = PrivatePostfix.builder("harness6").ipv6(true).build().start();
        SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddressIpv6(), TIMEOUT)) {
      assertThat(client.greeting().code()).isEqualTo(220);
      assertThat(client.ehlo("client.example.test").code()).isEqualTo(250);
      assertThat(client.mail("sender@example.test").code()).isEqualTo(250);
      assertThat(client.rcpt("rcpt@dest.example.test").code()).isEqualTo(250);
      String queueId = queueId(client.data("Subject: v6\n\nhello\n"));
      postfix.waitForLog(queueId + ": client=\\S+\\[::1\\]", TIMEOUT);
      // no relay configured: the harness defers the smtp transport, so the message stays queued
      assertThat(postfix.queueIds()).containsExactly(queueId);
      assertThat(postfix.holdCount()).isZero();
    }
  }

  @Test
  void twoInstancesRunSideBySide() throws Exception {
    try (PrivatePostfix first = PrivatePostfix.builder("first").build().start();
        PrivatePostfix second = PrivatePostfix.builder("second").myhostname("mx2.example.test").build().start()) {
      assertThat(first.smtpPort()).isNotEqualTo(second.smtpPort());
      assertThat(greeting(first)).isEqualTo("220 first.mta.test ESMTP");
      assertThat(greeting(second)).isEqualTo("220 mx2.example.test ESMTP");
      second.stop();
      assertThat(second.isRunning()).isFalse();
      assertThat(greeting(first)).isEqualTo("220 first.mta.test ESMTP");
    }
  }

  @Test
  void sendmailSubmissionIsQueued() {
    try (PrivatePostfix postfix = PrivatePostfix.builder("submit").build().start()) {
      PrivatePostfix.LogMark mark = postfix.mark();
      ProcessResult result = postfix.sendmail("local@example.test", List.of("rcpt@dest.example.test"),
          "Subject: local\n\nfrom sendmail\n");
      assertThat(result.ok()).as(result.describe()).isTrue();
      String line = postfix.waitForLog(mark, "[0-9A-Z]+: from=<local@example.test>", TIMEOUT);
      assertThat(postfix.queue()).singleElement()
          .satisfies(m -> assertThat(line).contains(m.queueId()))
          .satisfies(m -> assertThat(m.recipients()).containsExactly("rcpt@dest.example.test"));
    }
  }

  @Test
  void misspelledParameterFailsTheBuildNamingIt() {
    assertThatThrownBy(() -> PrivatePostfix.builder("typo").parameter("smtpd_miltrs", "inet:127.0.0.1:1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unused parameter: smtpd_miltrs=inet:127.0.0.1:1");
  }

  @Test
  void badParameterValueFailsTheStartWithPostfixsReason() {
    try (PrivatePostfix postfix = PrivatePostfix.builder("badbool").parameter("smtpd_helo_required", "maybe").build()) {
      assertThatThrownBy(postfix::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("does not greet")
          .hasMessageContaining("bad boolean configuration: smtpd_helo_required = maybe");
    }
  }

  @Test
  void masterStartupFailureIsReportedFromTheMaillog() {
    // 192.0.2.1 (TEST-NET-1) is not a local address, so the master cannot bind it and exits at start-up.
    try (PrivatePostfix postfix = PrivatePostfix.builder("badbind")
        .masterCfLine("192.0.2.1:2525 inet n - n - - smtpd").build()) {
      assertThatThrownBy(postfix::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not start")
          .hasMessageContaining("fatal: bind 192.0.2.1 port 2525: Cannot assign requested address");
      assertThat(postfix.isRunning()).isFalse();
    }
  }

  @Test
  void instanceInsideANetworkNamespaceListensOnItsAddress() {
    Commands.require("ip", "iproute2");
    String namespace = "pfh-" + ProcessHandle.current().pid();
    Commands.runOk(TIMEOUT, List.of("ip", "netns", "add", namespace));
    try {
      Commands.runOk(TIMEOUT, List.of("ip", "-n", namespace, "link", "set", "lo", "up"));
      Commands.runOk(TIMEOUT, List.of("ip", "-n", namespace, "addr", "add", "192.0.2.10/32", "dev", "lo"));
      try (PrivatePostfix postfix = PrivatePostfix.builder("netns").inNetworkNamespace(namespace)
          .listenOn("192.0.2.10").build().start()) {
        // smtp-source is Postfix's own SMTP client; run it inside the namespace, where 192.0.2.10 exists
        ProcessResult sent = postfix.run(List.of("smtp-source", "-m", "1", "-f", "lab@example.test",
            "-t", "rcpt@dest.example.test", "192.0.2.10:" + postfix.smtpPort()), null);
        assertThat(sent.ok()).as(sent.describe()).isTrue();
        postfix.waitForLog("client=\\S+\\[192\\.0\\.2\\.10\\]", TIMEOUT);
        assertThat(postfix.queue()).singleElement()
            .satisfies(m -> assertThat(m.sender()).isEqualTo("lab@example.test"));
      }
    } finally {
      Commands.run(TIMEOUT, List.of("ip", "netns", "del", namespace));
    }
  }

  private static String greeting(PrivatePostfix postfix) throws Exception {
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      String line = client.greeting().line();
      client.quit();
      return line;
    }
  }

  static String queueId(SmtpReply reply) {
    Matcher matcher = QUEUED_AS.matcher(reply.line());
    assertThat(matcher.find()).as("queued reply: " + reply).isTrue();
    return matcher.group(1);
  }
}
