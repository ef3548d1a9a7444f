package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.postfix.DeliveryLogLine.Event;
import org.ptrguard.postfix.DeliveryLogLine.Status;
import org.ptrguard.postfix.Route.Family;

class DeliveryLogParserTest {
  private static final Instant NOW = Instant.parse("2026-12-03T08:00:00Z");
  private final DeliveryLogParser parser = new DeliveryLogParser(Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC);

  private DeliveryLogLine parse(String line) {
    return parser.parse(line).orElseThrow(() -> new AssertionError("not parsed: " + line.substring(0, Math.min(300, line.length()))));
  }

  private static InetAddress ip(String s) {
    return IpLiterals.parse(s).orElseThrow();
  }

  @Test
  void bouncedStatusLineWithGmailReply() {
    DeliveryLogLine l = parse("Dec  3 07:59:58 mail01 postfix/smtp[12044]: 4F2A31C0E5A: to=<alice@example.net>,"
        + " relay=mx.example.net[198.51.100.25]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.7.25, status=bounced"
        + " (host mx.example.net[198.51.100.25] said: 550-5.7.25 The IP address sending this message does not have a"
        + " 550-5.7.25 PTR record setup. - gsmtp (in reply to end of DATA command))");
    assertThat(l.time()).contains(Instant.parse("2026-12-03T07:59:58Z"));
    assertThat(l.host()).isEqualTo("mail01");
    assertThat(l.syslogName()).isEqualTo("postfix");
    assertThat(l.service()).isEqualTo("smtp");
    assertThat(l.program()).isEqualTo("smtp");
    assertThat(l.pid()).isEqualTo(12044);
    assertThat(l.queueId()).contains("4F2A31C0E5A");
    assertThat(l.recipient()).contains("alice@example.net");
    assertThat(l.receiver()).hasValueSatisfying(r -> {
      assertThat(r.host()).isEqualTo("mx.example.net");
      assertThat(r.address()).contains(ip("198.51.100.25"));
      assertThat(r.port()).isEqualTo(25);
    });
    assertThat(l.family()).contains(Family.IPV4);
    assertThat(l.dsn()).contains("5.7.25");
    assertThat(l.status()).isEqualTo(Status.BOUNCED);
    assertThat(l.event()).isEqualTo(Event.DELIVERY);
    assertThat(l.reply()).hasValueSatisfying(r -> {
      assertThat(r.code()).isEqualTo(550);
      assertThat(r.enhancedCode()).contains("5.7.25");
      assertThat(r.permanent()).isTrue();
      assertThat(r.inReplyTo()).contains("end of DATA");
      assertThat(r.text()).isEqualTo("550-5.7.25 The IP address sending this message does not have a"
          + " 550-5.7.25 PTR record setup. - gsmtp");
    });
  }

  @Test
  void serviceNameFromTheTagAndIpv6Receiver() {
    DeliveryLogLine l = parse("Dec  3 07:00:01 mail01 postfix/smtp-ip6/smtp[311]: 4LxYc41Pk2z9sWG: to=<bob@example.org>,"
        + " relay=mx.example.org[2001:db8::25]:25, delay=0.4, delays=0/0/0.3/0.1, dsn=4.7.25, status=deferred"
        + " (host mx.example.org[2001:db8::25] said: 450 4.7.25 Service unavailable, sending IPv6 address"
        + " [2001:db8::10] must have reverse DNS record. (in reply to RCPT TO command))");
    assertThat(l.service()).isEqualTo("smtp-ip6");
    assertThat(l.queueId()).contains("4LxYc41Pk2z9sWG");
    assertThat(l.family()).contains(Family.IPV6);
    assertThat(l.status()).isEqualTo(Status.DEFERRED);
    assertThat(l.reply()).hasValueSatisfying(r -> {
      assertThat(r.code()).isEqualTo(450);
      assertThat(r.permanent()).isFalse();
      assertThat(r.sendingAddress()).as("the client address the receiver named").contains(ip("2001:db8::10"));
      assertThat(r.inReplyTo()).contains("RCPT TO");
    });
  }

  @Test
  void postfixReceiverNamesTheClientAddress() {
    DeliveryLogLine l = parse("Dec  3 07:00:02 mail01 postfix-out/smtp[9]: 1A2B3C4D5E: to=<c@example.com>,"
        + " relay=mx.example.com[192.0.2.25]:25, delay=0.2, delays=0/0/0.1/0.1, dsn=4.7.25, status=deferred"
        + " (host mx.example.com[192.0.2.25] said: 450 4.7.25 Client host rejected: cannot find your hostname,"
        + " [203.0.113.5] (in reply to RCPT TO command))");
    assertThat(l.syslogName()).isEqualTo("postfix-out");
    assertThat(l.service()).isEqualTo("smtp");
    assertThat(l.reply().flatMap(DeliveryLogLine.Reply::sendingAddress)).contains(ip("203.0.113.5"));
  }

  @Test
  void saidRefusedAndLostConnectionLinesWithoutStatus() {
    DeliveryLogLine said = parse("Dec  3 07:00:03 mail01 postfix/smtp[12044]: 6C1D2E3F4A: host mx1.example.net[198.51.100.25]"
        + " said: 421-4.7.23 The sending IP address does not have a PTR record. - gsmtp (in reply to MAIL FROM command)");
    assertThat(said.event()).isEqualTo(Event.SAID);
    assertThat(said.status()).isEqualTo(Status.NONE);
    assertThat(said.receiver().map(DeliveryLogLine.Receiver::host)).contains("mx1.example.net");
    assertThat(said.reply().map(DeliveryLogLine.Reply::code)).contains(421);
    assertThat(said.statusCode()).contains("4.7.23");

    DeliveryLogLine refused = parse("Dec  3 07:00:04 mail01 postfix/smtp[12045]: 6C1D2E3F4A: host mx.example.net[198.51.100.26]"
        + " refused to talk to me: 554-No SMTP service 554 invalid DNS PTR resource record");
    assertThat(refused.event()).isEqualTo(Event.REFUSED);
    assertThat(refused.reply().map(DeliveryLogLine.Reply::code)).contains(554);
    assertThat(refused.reply().map(DeliveryLogLine.Reply::text)).contains("554-No SMTP service 554 invalid DNS PTR resource record");

    DeliveryLogLine lost = parse("Dec  3 07:00:05 mail01 postfix/smtp[12046]: 6C1D2E3F4A: lost connection with"
        + " mx.example.net[198.51.100.27] while receiving the initial server greeting");
    assertThat(lost.event()).isEqualTo(Event.LOST_CONNECTION);
    assertThat(lost.reply()).as("no reply in that text").isEmpty();

    DeliveryLogLine deferredRefused = parse("Dec  3 07:00:06 mail01 postfix/smtp[12047]: 6C1D2E3F4A: to=<d@example.net>,"
        + " relay=mx.example.net[198.51.100.26]:25, delay=3, delays=0/0/3/0, dsn=5.0.0, status=bounced"
        + " (host mx.example.net[198.51.100.26] refused to talk to me: 550 inconsistent or no DNS PTR record for 203.0.113.5)");
    assertThat(deferredRefused.event()).isEqualTo(Event.DELIVERY);
    assertThat(deferredRefused.reply().map(DeliveryLogLine.Reply::text)).contains("550 inconsistent or no DNS PTR record for 203.0.113.5");
  }

  @Test
  void rfc3339AndPostlogTimestamps() {
    DeliveryLogLine iso = parse("2026-12-03T07:10:00.123456+01:00 mail01 postfix/lmtp[5]: ABCDEF12345: to=<e@example.com>,"
        + " relay=store.example.com[192.0.2.30]:24, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)");
    assertThat(iso.time()).contains(Instant.parse("2026-12-03T06:10:00.123456Z"));
    assertThat(iso.program()).isEqualTo("lmtp");
    assertThat(iso.status()).isEqualTo(Status.SENT);
    assertThat(iso.reply()).isEmpty();

    DeliveryLogLine postlog = parse("Dec 03 07:10:00.654321 mail01 postfix-lab/smtp[77]: ABCDEF12345: to=<e@example.com>,"
        + " relay=none, delay=0.1, delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.31]:25:"
        + " Connection refused)");
    assertThat(postlog.time()).contains(Instant.parse("2026-12-03T07:10:00.654321Z"));
    assertThat(postlog.receiver()).isEmpty();
    assertThat(postlog.reply()).isEmpty();
  }

  @Test
  void yearOfATraditionalTimestampIsTheOneBeforeTheClockWhenNeeded() {
    DeliveryLogParser january = new DeliveryLogParser(Clock.fixed(Instant.parse("2027-01-02T00:00:00Z"), ZoneOffset.UTC),
        ZoneOffset.UTC);
    DeliveryLogLine l = january.parse("Dec 31 23:59:59 h postfix/smtp[1]: ABCDE1234: to=<a@example.com>, relay=none,"
        + " delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (x)").orElseThrow();
    assertThat(l.time()).contains(Instant.parse("2026-12-31T23:59:59Z"));
  }

  @Test
  void journalJsonWithTextOrByteArrayMessage() {
    String json = "{\"__CURSOR\":\"s=1;i=2\",\"__REALTIME_TIMESTAMP\":\"1796280000000000\",\"_HOSTNAME\":\"mail01\","
        + "\"SYSLOG_IDENTIFIER\":\"postfix/smtp-b/smtp\",\"SYSLOG_PID\":\"4242\",\"MESSAGE\":\"ABCDEF12345: to=<f@example.com>,"
        + " relay=mx.example.com[192.0.2.40]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (host"
        + " mx.example.com[192.0.2.40] said: 504 5.5.2 <mail>: Helo command rejected: need fully-qualified hostname"
        + " (in reply to RCPT TO command))\"}";
    DeliveryLogLine l = parser.parse(json).orElseThrow();
    assertThat(l.service()).isEqualTo("smtp-b");
    assertThat(l.pid()).isEqualTo(4242);
    assertThat(l.host()).isEqualTo("mail01");
    assertThat(l.time()).contains(Instant.ofEpochSecond(1_796_280_000L));
    assertThat(l.reply().map(DeliveryLogLine.Reply::code)).contains(504);

    // The journal stores a message with control characters as an array of bytes.
    StringBuilder bytes = new StringBuilder();
    String msg = "ABCDEF12345: host mx.example.com[192.0.2.40] said: 550 5.7.25 evil\u001b[31mred (in reply to RCPT TO command)";
    for (byte b : msg.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      bytes.append(bytes.length() == 0 ? "" : ",").append(b & 0xff);
    }
    DeliveryLogLine binary = parser.parse("{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"_PID\":\"7\",\"MESSAGE\":[" + bytes + "]}")
        .orElseThrow();
    assertThat(binary.reply().map(DeliveryLogLine.Reply::text)).contains("550 5.7.25 evil\\x1b[31mred");
  }

  @Test
  void otherProgramsAndOtherLinesAreNotDeliveryLines() {
    assertThat(parser.parse("Dec  3 07:00:00 mail01 postfix/smtpd[1]: connect from unknown[192.0.2.9]")).isEmpty();
    assertThat(parser.parse("Dec  3 07:00:00 mail01 postfix/qmgr[2]: ABCDEF12345: from=<a@example.com>, size=1, nrcpt=1 (queue active)")).isEmpty();
    assertThat(parser.parse("Dec  3 07:00:00 mail01 sshd[3]: Accepted publickey for root")).isEmpty();
    assertThat(parser.parse("Dec  3 07:00:00 mail01 smtp[3]: host a[192.0.2.1] said: 550 5.7.25 x")).as("no syslog_name").isEmpty();
    assertThat(parser.parse("Dec  3 07:00:00 mail01 postfix/smtp[4]: ABCDEF12345: to=<a@example.com>, relay=mx")).as("truncated").isEmpty();
    assertThat(parser.parse("Dec  3 07:00")).isEmpty();
    assertThat(parser.parse("")).isEmpty();
    assertThat(parser.parse("{\"MESSAGE\":")).isEmpty();
    assertThat(parser.parse("{\"SYSLOG_IDENTIFIER\":[1,2,\"x\"],\"MESSAGE\":{}}")).isEmpty();
    assertThat(parser.parse("\u0000\u0001\u00ff\ufffd binary")).isEmpty();
  }

  @Test
  void controlCharactersAreEscapedAndMegabytesCapped() {
    String hostile = "Dec  3 07:00:00 mail01 postfix/smtp[5]: ABCDEF12345: host mx.example.com[192.0.2.40] said: 550 5.7.25 "
        + "a\rb\u0000c\u2028d\u202ee" + "x".repeat(3_000_000) + " (in reply to RCPT TO command)";
    DeliveryLogLine l = parse(hostile);
    String text = l.reply().orElseThrow().text();
    assertThat(text).startsWith("550 5.7.25 a\\x0db\\x00c\\u2028d\\u202ee");
    assertThat(text.length()).isLessThanOrEqualTo(LogText.MAX_TEXT + 64);
    assertThat(text).endsWith("...");
    assertThat(LogText.isSafe(text)).isTrue();
  }

  @Test
  void aHostileTagOrHostIsEscapedToo() {
    Optional<DeliveryLogLine> l = parser.parse("Dec  3 07:00:00 m\u0007x postfix\u001b/smtp[5]: ABCDEF12345: host"
        + " mx.example.com[192.0.2.40] said: 550 5.7.25 no (in reply to RCPT TO command)");
    assertThat(l).hasValueSatisfying(line -> {
      assertThat(LogText.isSafe(line.host())).isTrue();
      assertThat(LogText.isSafe(line.syslogName())).isTrue();
    });
  }
}
