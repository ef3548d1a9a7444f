package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.ptrguard.postfix.ReceiverReplies.Entry;
import org.ptrguard.postfix.ReceiverReplies.ReplyClass;

class ReceiverRepliesTest {
  private final ReceiverReplies table = ReceiverReplies.standard();

  @Test
  void eachEntryClassifiesItsOwnExampleAndNamesASource() {
    assertThat(table.entries()).hasSizeGreaterThanOrEqualTo(12);
    Set<String> names = new HashSet<>();
    for (Entry e : table.entries()) {
      assertThat(names.add(e.name())).as("unique name %s", e.name()).isTrue();
      assertThat(e.source()).as("source of %s", e.name()).isNotBlank();
      assertThat(table.classify(e.example()).map(m -> m.entry().name())).as("example of %s", e.name()).contains(e.name());
    }
    assertThat(table.entries()).extracting(Entry::replyClass).contains(ReplyClass.values());
  }

  /** The texts issue 17 lists, as receivers send them (Postfix joins continuation lines with spaces). */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "550-5.7.25 The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding"
          + " forward DNS entry does not 550-5.7.25 match the sending IP. As a policy, Gmail does not accept messages"
          + " 550-5.7.25 from IPs with missing PTR records. Please visit 550-5.7.25"
          + " https://support.google.com/mail/answer/81126#ip-practices for more 550 5.7.25 information. a1si - gsmtp"
          + " | gmail-ptr | fcrdns",
      "550-5.7.25 This message was blocked because the sending IP address doesn't have a PTR record, or the forwarding"
          + " DNS entry doesn't reference the sending IP address. | gmail-ptr | fcrdns",
      "421-4.7.23 The sending IP address for this message does not have a PTR record. - gsmtp | gmail-ptr-temporary | fcrdns",
      "451-4.7.23 The sending IP address for this message does not have a PTR record. - gsmtp | gmail-ptr-temporary | fcrdns",
      "550-5.7.1 [2001:db8::25] Our system has detected that this message does 550-5.7.1 not meet IPv6 sending"
          + " guidelines regarding PTR records 550-5.7.1 and authentication. Please review 550-5.7.1"
          + " https://support.google.com/mail/?p=IPv6AuthError for more information 550 5.7.1 . x - gsmtp"
          + " | gmail-ipv6-ptr | ipv6-ptr",
      "450 4.7.25 Service unavailable, sending IPv6 address [2001:db8::25] must have reverse DNS record."
          + " | microsoft-ipv6-ptr | ipv6-ptr",
      "550 5.7.25 Service unavailable, sending IPv6 address [2001:db8::25] must have reverse DNS record."
          + " | microsoft-ipv6-ptr | ipv6-ptr",
      "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.7] | postfix-unknown-client | fcrdns",
      "550 5.7.1 Client host rejected: cannot find your hostname, [192.0.2.7] | postfix-unknown-client | fcrdns",
      "450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.7] | postfix-unknown-reverse-client | ptr",
      "550 5.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.25] | postfix-unknown-reverse-client | ptr",
      "450 4.7.1 <mail.example.com>: Helo command rejected: Host not found | postfix-unknown-helo | helo",
      "504 5.5.2 <mail>: Helo command rejected: need fully-qualified hostname | postfix-non-fqdn-helo | helo",
      "554-No SMTP service 554 invalid DNS PTR resource record | webde-gmx-ptr | ptr",
      "554 Bad DNS PTR resource record | webde-gmx-ptr | ptr",
      "550 inconsistent or no DNS PTR record for 203.0.113.5 | inconsistent-ptr | fcrdns",
      "550 5.7.25 IP name lookup failed [203.0.113.5] | ip-name-lookup-failed | ptr",
      "550 5.7.25 Reverse DNS validation failed | reverse-dns-status-code | other-rdns",
      "451 4.7.25 anything at all | reverse-dns-status-code | other-rdns",
      "550-5.7.25 some wording 550 5.7.25 we never saw | reverse-dns-status-code | other-rdns"})
  void issueTextsAreClassified(String reply, String entry, String replyClass) {
    Optional<ReceiverReplies.Match> m = table.classify(reply);
    assertThat(m).as(reply).isPresent();
    assertThat(m.get().entry().name()).isEqualTo(entry);
    assertThat(m.get().replyClass().word()).isEqualTo(replyClass);
  }

  /** Rejections that are not about reverse DNS or HELO: ptrguard must leave them alone. */
  @ParameterizedTest
  @ValueSource(strings = {
      "550-5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail. To reduce the amount"
          + " of spam sent to Gmail, this message has been blocked. - gsmtp",
      "552-5.2.2 The email account that you tried to reach is over quota. - gsmtp",
      "550-5.1.1 The email account that you tried to reach does not exist. - gsmtp",
      "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
      "452 4.2.2 Mailbox full",
      "421-4.7.0 [192.0.2.1 15] Our system has detected an unusual rate of unsolicited mail originating from your IP"
          + " address. - gsmtp",
      "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail from your IP address. - gsmtp",
      "550-5.7.26 This mail has been blocked because the sender is unauthenticated. - gsmtp",
      "450 4.7.26 Service unavailable, message sent over IPv6 [2001:db8::25] must pass either SPF or DKIM validation.",
      "550 5.2.1 Service unavailable, [example.com] does not accept email over IPv6",
      "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
      "554 5.7.1 <bob@example.com>: Relay access denied",
      "550 5.7.1 Message rejected as spam by Content Filtering.",
      "451 4.3.0 Temporary lookup failure",
      "450 4.1.8 <a@example.org>: Sender address rejected: Domain not found",
      "421 4.4.2 mx.example.com Error: timeout exceeded",
      "550 5.7.250 something else",
      "550 PTR"})
  void unrelatedRejectionsAreIgnored(String reply) {
    assertThat(table.classify(reply)).as(reply).isEmpty();
  }

  @Test
  void foldRemovesContinuationCodesOnly() {
    assertThat(ReceiverReplies.fold("550-5.7.25 a 550-5.7.25 b 550 5.7.25 c")).isEqualTo("550-5.7.25 a b c");
    assertThat(ReceiverReplies.fold("554-No SMTP service 554 invalid")).isEqualTo("554-No SMTP service invalid");
    assertThat(ReceiverReplies.fold("no code 550 here")).isEqualTo("no code 550 here");
  }

  @Test
  void aLogLineIsClassifiedByItsReply() {
    DeliveryLogParser parser = DeliveryLogParser.standard();
    DeliveryLogLine l = parser.parse("Dec  3 07:00:02 mail01 postfix/smtp[9]: 1A2B3C4D5E: to=<c@example.com>,"
        + " relay=mx.example.com[192.0.2.25]:25, delay=0.2, delays=0/0/0.1/0.1, dsn=4.7.25, status=deferred"
        + " (host mx.example.com[192.0.2.25] said: 450 4.7.25 Client host rejected: cannot find your hostname,"
        + " [203.0.113.5] (in reply to RCPT TO command))").orElseThrow();
    assertThat(table.classify(l).map(ReceiverReplies.Match::replyClass)).contains(ReplyClass.FCRDNS);
    DeliveryLogLine sent = parser.parse("Dec  3 07:00:02 mail01 postfix/smtp[9]: 1A2B3C4D5E: to=<c@example.com>,"
        + " relay=mx.example.com[192.0.2.25]:25, delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok:"
        + " queued as 4.7.25)").orElseThrow();
    assertThat(table.classify(sent)).isEmpty();
  }
}
