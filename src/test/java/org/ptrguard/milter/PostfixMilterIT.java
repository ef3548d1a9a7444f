package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.ptrguard.net.ListenAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.ptrguard.milter.RecordingMilter.Behaviour;
import org.ptrguard.milter.RecordingMilter.Recorded;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.SmtpReply;
import org.ptrguard.testing.SmtpSink;
import org.ptrguard.testing.SmtpTestClient;

/**
 * The milter server against the real, installed Postfix: one private Postfix (IPv4 + IPv6 smtpd,
 * delivering to an smtp-sink) and in-process milter servers whose handler behaviour each case
 * switches. Every case asserts what the SMTP client sees, what the handler saw, and that Postfix
 * logged no milter protocol trouble.
 *
 * <p>Postfix listeners: "smtp" uses the TCP milter (main.cf smtpd_milters), "unixsock" the same
 * server over its unix socket, "noreply" a second server that negotiates HEADER and RCPT as
 * no-reply. non_smtpd_milters (sendmail/pickup/cleanup) use the TCP milter.
 */
class PostfixMilterIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern QUEUED_AS = Pattern.compile("queued as ([0-9A-Za-z]+)");
  /** What Postfix logs when a milter misbehaves (milter8.c), or when anything else goes wrong. */
  private static final String MILTER_TROUBLE =
      "milter8|can't read|unexpected filter response|malformed reply|warning: .*milter|fatal:|panic:";

  private static final Set<MilterEvent> ALL_EVENTS = Set.of(MilterEvent.CONNECT, MilterEvent.HELO,
      MilterEvent.MAIL, MilterEvent.RCPT, MilterEvent.DATA, MilterEvent.HEADER, MilterEvent.END_OF_HEADERS,
      MilterEvent.BODY);
  private static final Map<MacroStage, List<String>> MACROS = Map.of(
      MacroStage.CONNECT, List.of("j", "{daemon_name}", "{client_addr}"),
      MacroStage.END_OF_MESSAGE, List.of("i"));

  private static Path socketDir;
  private static RecordingMilter milter;
  private static RecordingMilter noReplyMilter;
  private static MilterServer server;
  private static MilterServer noReplyServer;
  private static SmtpSink sink;
  private static PrivatePostfix postfix;

  private PrivatePostfix.LogMark mark;

  @BeforeAll
  static void startEverything() throws IOException {
    socketDir = Files.createTempDirectory("ptrguard-milter-");
    // smtpd and cleanup run as user postfix and must reach the socket inside this directory
    Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path socket = socketDir.resolve("milter.sock");

    milter = new RecordingMilter(new ProtocolNeeds(ALL_EVENTS, Set.of(),
        Set.of(MilterAction.QUARANTINE, MilterAction.ADD_HEADERS), MACROS));
    server = MilterServer.start(options(List.of(ListenAddress.parse("inet:127.0.0.1:0"),
        ListenAddress.parse("unix:" + socket))), milter);
    noReplyMilter = new RecordingMilter(new ProtocolNeeds(ALL_EVENTS, Set.of(MilterEvent.HEADER, MilterEvent.RCPT),
        Set.of(), MACROS));
    noReplyServer = MilterServer.start(options(List.of(ListenAddress.parse("inet:127.0.0.1:0"))), noReplyMilter);

    String tcpMilter = "inet:127.0.0.1:" + tcpPort(server);
    sink = SmtpSink.start();
    postfix = PrivatePostfix.builder("miltertest").ipv6(true).relayTo(sink)
        .parameter("smtpd_milters", tcpMilter)
        .parameter("non_smtpd_milters", tcpMilter)
        // accept, not the tempfail default: a broken milter must not look like a handler's TEMPFAIL
        .parameter("milter_default_action", "accept")
        .parameter("milter_connect_timeout", "10s")
        .parameter("milter_command_timeout", "10s")
        .smtpdListener("unixsock", "-o", "smtpd_milters=unix:" + socket)
        .smtpdListener("noreply", "-o", "smtpd_milters=inet:127.0.0.1:" + tcpPort(noReplyServer))
        .build().start();
  }

  @AfterAll
  static void stopEverything() throws IOException {
    if (postfix != null) {
      postfix.close();
    }
    if (sink != null) {
      sink.close();
    }
    for (MilterServer s : new MilterServer[] {server, noReplyServer}) {
      if (s != null) {
        s.close();
      }
    }
    if (socketDir != null) {
      try (var files = Files.list(socketDir)) {
        for (Path file : files.toList()) {
          Files.deleteIfExists(file);
        }
      }
      Files.deleteIfExists(socketDir);
    }
  }

  @BeforeEach
  void cleanSlate() {
    milter.behave(Behaviour.continueAll());
    noReplyMilter.behave(Behaviour.continueAll());
    postfix.purgeQueue();
    mark = postfix.mark();
  }

  @AfterEach
  void noMilterTroubleInTheMaillog() {
    assertThat(postfix.logLinesSince(mark, MILTER_TROUBLE)).as("maillog:\n" + postfix.maillogSince(mark)).isEmpty();
  }

  // ------------------------------------------------------------------ smtpd_milters over TCP

  @Test
  void continueEverythingOverTcpFromIpv4() throws Exception {
    int before = sink.messageCount();
    Session session = sendOne(postfix.smtpAddress(), "continue-v4");
    assertThat(session.dataReply.code()).isEqualTo(250);

    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m).contains("Subject: continue-v4"));
    postfix.waitForLog(mark, session.queueId + ": .*status=sent", TIMEOUT);

    Recorded seen = milter.awaitClosedSession(RecordingMilter.fromClientPort(session.clientPort), TIMEOUT);
    assertThat(seen.connect.family()).isEqualTo(ConnectInfo.Family.INET);
    assertThat(seen.connect.address()).contains(InetAddress.getByName("127.0.0.1"));
    assertThat(seen.macroJ).isEqualTo(postfix.myhostname());
    assertThat(seen.info.remoteAddress()).isInstanceOf(InetSocketAddress.class);
    assertThat(seen.events).containsSubsequence("HELO client.example.test", "MAIL <sender@example.test>",
        "RCPT <rcpt@dest.example.test>", "DATA", "HEADER Subject: continue-v4", "EOH",
        "EOM queue_id=" + session.queueId, "CLOSED");
    assertThat(seen.events.stream().filter(e -> e.startsWith("BODY"))).isNotEmpty();
  }

  @Test
  void continueEverythingOverTcpFromIpv6() throws Exception {
    int before = sink.messageCount();
    Session session = sendOne(postfix.smtpAddressIpv6(), "continue-v6");
    assertThat(session.dataReply.code()).isEqualTo(250);
    sink.awaitMessages(before + 1, TIMEOUT);

    Recorded seen = milter.awaitClosedSession(RecordingMilter.fromClientPort(session.clientPort), TIMEOUT);
    assertThat(seen.connect.family()).isEqualTo(ConnectInfo.Family.INET6);
    assertThat(seen.connect.address()).contains(InetAddress.getByName("::1"));
    assertThat(seen.events).containsSubsequence("HELO client.example.test", "MAIL <sender@example.test>", "CLOSED");
  }

  @Test
  void tempfailAtHeloIsDelayedToMailFrom() throws Exception {
    milter.behave(Behaviour.replyAtHelo(MilterReply.TEMPFAIL));
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      assertThat(client.greeting().code()).isEqualTo(220);
      assertThat(client.ehlo("client.example.test").code()).isEqualTo(250);
      SmtpReply mail = client.mail("sender@example.test");
      assertThat(mail.line()).isEqualTo("451 4.7.1 Service unavailable - try again later");
      assertThat(client.rcpt("rcpt@dest.example.test").code()).isEqualTo(503);
      assertThat(client.quit().code()).isEqualTo(221);
      Recorded seen = milter.awaitClosedSession(RecordingMilter.fromClientPort(client.localAddress().getPort()), TIMEOUT);
      assertThat(seen.events).noneMatch(e -> e.startsWith("MAIL"));
    }
    assertThat(postfix.queueCount()).isZero();
    postfix.waitForLog(mark, "milter-reject: .*451 4.7.1 Service unavailable", TIMEOUT);
  }

  @Test
  void replyCodeAtHeloReachesTheClientVerbatimAtMailFrom() throws Exception {
    milter.behave(Behaviour.replyAtHelo(MilterReply.replyCode("451 4.7.25 ptrguard: PTR of 192.0.2.1 is missing")));
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      client.greeting();
      assertThat(client.ehlo("client.example.test").code()).isEqualTo(250);
      SmtpReply mail = client.mail("sender@example.test");
      assertThat(mail.line()).isEqualTo("451 4.7.25 ptrguard: PTR of 192.0.2.1 is missing");
      assertThat(mail.enhancedCode()).contains("4.7.25");
      // the reply persists for the whole session, as Postfix documents for HELO-stage replies
      assertThat(client.mail("other@example.test").line()).isEqualTo(mail.line());
      client.quit();
    }
    assertThat(postfix.queueCount()).isZero();
  }

  @Test
  void percentSignInReplyTextSurvives() throws Exception {
    milter.behave(Behaviour.replyAtHelo(MilterReply.replyCode("451 4.7.25 100% of checks failed")));
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      client.greeting();
      client.ehlo("client.example.test");
      assertThat(client.mail("sender@example.test").line()).isEqualTo("451 4.7.25 100% of checks failed");
      client.quit();
    }
  }

  @Test
  void multiLineReplyCodeReachesTheClient() throws Exception {
    milter.behave(Behaviour.replyAtHelo(MilterReply.replyCode("451-4.7.25 first line\r\n451 4.7.25 second line")));
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      client.greeting();
      client.ehlo("client.example.test");
      assertThat(client.mail("sender@example.test").rawLines())
          .containsExactly("451-4.7.25 first line", "451 4.7.25 second line");
      client.quit();
    }
  }

  @Test
  void reply421AtHeloIsShownAndTheConnectionClosed() throws Exception {
    milter.behave(Behaviour.replyAtHelo(MilterReply.replyCode("421 4.7.0 ptrguard: outbound identity broken")));
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      client.greeting();
      SmtpReply ehlo = client.ehlo("client.example.test");
      assertThat(ehlo.line()).isEqualTo("421 4.7.0 ptrguard: outbound identity broken");
      assertThat(client.awaitServerClose(Duration.ofSeconds(5))).as("server hung up after 421").isTrue();
    }
    assertThat(postfix.queueCount()).isZero();
  }

  @Test
  void twoMessagesOnOneConnectionWithRsetBetween() throws Exception {
    int before = sink.messageCount();
    int clientPort;
    try (SmtpTestClient client = SmtpTestClient.connect(postfix.smtpAddress(), TIMEOUT)) {
      clientPort = client.localAddress().getPort();
      client.greeting();
      client.ehlo("client.example.test");
      assertThat(client.mail("first@example.test").code()).isEqualTo(250);
      assertThat(client.rcpt("rcpt@dest.example.test").code()).isEqualTo(250);
      assertThat(client.data("Subject: multi-1\n\none\n").code()).isEqualTo(250);
      assertThat(client.rset().code()).isEqualTo(250);
      assertThat(client.mail("second@example.test").code()).isEqualTo(250);
      assertThat(client.rcpt("rcpt@dest.example.test").code()).isEqualTo(250);
      assertThat(client.data("Subject: multi-2\n\ntwo\n").code()).isEqualTo(250);
      client.quit();
    }
    List<String> received = sink.awaitMessages(before + 2, TIMEOUT);
    assertThat(received).anySatisfy(m -> assertThat(m).contains("Subject: multi-1"))
        .anySatisfy(m -> assertThat(m).contains("Subject: multi-2"));

    Recorded seen = milter.awaitClosedSession(RecordingMilter.fromClientPort(clientPort), TIMEOUT);
    assertThat(seen.count("CONNECT")).isEqualTo(1);
    assertThat(seen.count("MAIL")).isEqualTo(2);
    assertThat(seen.count("EOM")).isEqualTo(2);
    assertThat(seen.count("ABORT")).isGreaterThanOrEqualTo(1);
    assertThat(withoutQueueIds(seen.events)).containsSubsequence("MAIL <first@example.test>", "EOM", "ABORT",
        "MAIL <second@example.test>", "EOM", "CLOSED");
  }

  // ------------------------------------------------------------------ other transports and negotiations

  @Test
  void continueEverythingOverUnixSocket() throws Exception {
    int before = sink.messageCount();
    Session session = sendOne(new InetSocketAddress("127.0.0.1", postfix.listenerPort("unixsock")), "via-unix");
    assertThat(session.dataReply.code()).isEqualTo(250);
    sink.awaitMessages(before + 1, TIMEOUT);

    Recorded seen = milter.awaitClosedSession(RecordingMilter.fromClientPort(session.clientPort), TIMEOUT);
    assertThat(seen.info.remoteAddress()).isNotInstanceOf(InetSocketAddress.class);
    assertThat(seen.connect.family()).isEqualTo(ConnectInfo.Family.INET);
    assertThat(seen.events).containsSubsequence("MAIL <sender@example.test>", "EOM queue_id=" + session.queueId);
  }

  @Test
  void replyCodeOverUnixSocket() throws Exception {
    milter.behave(Behaviour.replyAtHelo(MilterReply.replyCode("451 4.7.25 via unix socket")));
    try (SmtpTestClient client = SmtpTestClient.connect(
        new InetSocketAddress("127.0.0.1", postfix.listenerPort("unixsock")), TIMEOUT)) {
      client.greeting();
      assertThat(client.ehlo("client.example.test").code()).isEqualTo(250);
      assertThat(client.mail("sender@example.test").line()).isEqualTo("451 4.7.25 via unix socket");
      client.quit();
    }
  }

  @Test
  void noReplyStagesAreNotAnswered() throws Exception {
    int before = sink.messageCount();
    Session session = sendOne(new InetSocketAddress("127.0.0.1", postfix.listenerPort("noreply")), "no-reply");
    assertThat(session.dataReply.code()).isEqualTo(250);
    sink.awaitMessages(before + 1, TIMEOUT);
    Recorded seen = noReplyMilter.awaitClosedSession(RecordingMilter.fromClientPort(session.clientPort), TIMEOUT);
    assertThat(seen.events).containsSubsequence("RCPT <rcpt@dest.example.test>", "HEADER Subject: no-reply",
        "EOM queue_id=" + session.queueId);
  }

  // ------------------------------------------------------------------ non_smtpd_milters (sendmail -> cleanup)

  @Test
  void sendmailSubmissionGoesThroughTheMilterInCleanup() throws Exception {
    int before = sink.messageCount();
    int sessionsBefore = milter.sessions().size();
    ProcessResult result = postfix.sendmail("local@example.test", List.of("rcpt@dest.example.test"),
        "Subject: via-sendmail\n\nlocal program\n");
    assertThat(result.ok()).as(result.describe()).isTrue();
    assertThat(sink.awaitMessages(before + 1, TIMEOUT)).anySatisfy(m -> assertThat(m).contains("Subject: via-sendmail"));

    Recorded seen = milter.awaitClosedSession(
        r -> milter.sessions().indexOf(r) >= sessionsBefore && r.events.contains("MAIL local@example.test"), TIMEOUT);
    // cleanup's fake CONNECT: localhost, loopback address, port 0
    assertThat(seen.connect.hostname()).isEqualTo("localhost");
    assertThat(seen.connect.address()).contains(InetAddress.getByName("127.0.0.1"));
    assertThat(seen.connect.port()).isZero();
    assertThat(withoutQueueIds(seen.events)).containsSubsequence("MAIL local@example.test", "RCPT rcpt@dest.example.test",
        "HEADER Subject: via-sendmail", "EOM");
    assertThat(seen.events).anySatisfy(e -> assertThat(e).matches("EOM queue_id=[0-9A-F]+"));
  }

  @Test
  void quarantineAtEndOfMessagePutsSendmailMailOnHold() throws Exception {
    milter.behave(Behaviour.quarantineAtEndOfMessage("ptrguard: identity broken"));
    int before = sink.messageCount();
    ProcessResult result = postfix.sendmail("local@example.test", List.of("rcpt@dest.example.test"),
        "Subject: to-hold\n\nlocal program\n");
    assertThat(result.ok()).as(result.describe()).isTrue();

    // Postfix 3.7 logs the hold without the milter's reason text; ptrguard logs the reason itself.
    postfix.waitForLog(mark, "milter-hold: END-OF-MESSAGE from localhost\\[127.0.0.1\\]: milter triggers HOLD action", TIMEOUT);
    assertThat(postfix.holdCount()).isEqualTo(1);
    assertThat(sink.messageCount()).isEqualTo(before);
  }

  // ------------------------------------------------------------------ helpers

  private record Session(int clientPort, SmtpReply dataReply, String queueId) {}

  private static Session sendOne(InetSocketAddress smtpd, String subject) throws IOException {
    try (SmtpTestClient client = SmtpTestClient.connect(smtpd, TIMEOUT)) {
      assertThat(client.greeting().code()).isEqualTo(220);
      assertThat(client.ehlo("client.example.test").code()).isEqualTo(250);
      assertThat(client.mail("sender@example.test").line()).isEqualTo("250 2.1.0 Ok");
      assertThat(client.rcpt("rcpt@dest.example.test").line()).isEqualTo("250 2.1.5 Ok");
      SmtpReply data = client.data("Subject: " + subject + "\nFrom: sender@example.test\n\nbody of " + subject + "\n");
      assertThat(client.quit().code()).isEqualTo(221);
      Matcher queued = QUEUED_AS.matcher(data.line());
      return new Session(client.localAddress().getPort(), data, queued.find() ? queued.group(1) : "");
    }
  }

  /** The recorder writes "EOM queue_id=..."; sequences compare the event kinds only. */
  private static List<String> withoutQueueIds(List<String> events) {
    return events.stream().map(e -> e.startsWith("EOM queue_id=") ? "EOM" : e).toList();
  }

  private static MilterServerOptions options(List<ListenAddress> listeners) {
    MilterServerOptions d = MilterServerOptions.defaults();
    // group postfix: smtpd and cleanup run as that user and must connect to the unix socket
    return new MilterServerOptions(listeners, d.allowFrom(), d.maxFrameBytes(), d.idleTimeout(),
        d.maxConnections(), "0660", Optional.of("postfix"));
  }

  private static int tcpPort(MilterServer s) {
    for (SocketAddress address : s.boundAddresses()) {
      if (address instanceof InetSocketAddress inet) {
        return inet.getPort();
      }
    }
    throw new IllegalStateException("milter server has no TCP listener: " + s.boundAddresses());
  }
}
