package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.policy.Decision.Action;

class DecisionMakerTest {
  private static Settings settings(String hocon) throws Exception {
    return ConfigLoader.parse(hocon);
  }

  private static IdentityStatus status(Verdict verdict, String... codes) {
    return new IdentityStatus("default", "203.0.113.10", List.of("host-203-0-113-10.isp.example"), "mail.example.com",
        verdict, List.of(codes), verdict == Verdict.PASS ? "" : "PTR name does not resolve back to 203.0.113.10", false);
  }

  @Test
  void auditNeverBlocksButRecordsWhatEnforceWouldDo() throws Exception {
    Settings audit = settings("mode = audit");
    Decision d = DecisionMaker.decide(audit, status(Verdict.FAIL, "fcrdns.mismatch"));
    assertThat(d.action()).isEqualTo(Action.ACCEPT);
    assertThat(d.wouldBlock()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.smtpReply()).isEmpty();
    assertThat(DecisionMaker.decide(audit, status(Verdict.PASS)).wouldBlock()).isEqualTo(Action.ACCEPT);
  }

  @Test
  void auditWithHeaderKeepsTheSession() throws Exception {
    Decision d = DecisionMaker.decide(settings("mode = audit, audit.add-header = true"),
        status(Verdict.WARN, "ptr.generic", "ehlo.ptr-mismatch"));
    assertThat(d.action()).isEqualTo(Action.ADD_HEADER);
    assertThat(d.note()).isEqualTo("warn identity=default ip=203.0.113.10 codes=ptr.generic,ehlo.ptr-mismatch");
  }

  @Test
  void enforceTempfailsOnFailWithTheDefaultReply() throws Exception {
    Decision d = DecisionMaker.decide(settings("mode = enforce"), status(Verdict.FAIL, "fcrdns.mismatch"));
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.smtpReply()).isEqualTo(
        "451 4.7.25 ptrguard: outbound identity 203.0.113.10 not ready: PTR name does not resolve back to 203.0.113.10");
  }

  @Test
  void enforceLetsPassAndWarnThroughByDefault() throws Exception {
    Settings enforce = settings("mode = enforce");
    assertThat(DecisionMaker.decide(enforce, status(Verdict.PASS)).action()).isEqualTo(Action.ACCEPT);
    assertThat(DecisionMaker.decide(enforce, status(Verdict.WARN, "ptr.generic")).action()).isEqualTo(Action.ACCEPT);
    Settings strict = settings("mode = enforce, enforce.block-on = [fail, warn]");
    assertThat(DecisionMaker.decide(strict, status(Verdict.WARN, "ptr.generic")).action()).isEqualTo(Action.TEMPFAIL);
  }

  @Test
  void holdQuarantinesWithTheReason() throws Exception {
    Decision d = DecisionMaker.decide(settings("mode = enforce, enforce.action = hold"), status(Verdict.FAIL, "ptr.missing"));
    assertThat(d.action()).isEqualTo(Action.HOLD);
    assertThat(d.note()).isEqualTo("ptrguard: outbound identity 203.0.113.10 not ready: PTR name does not resolve back to 203.0.113.10");
  }

  @Test
  void unknownFollowsOnDnsError() throws Exception {
    IdentityStatus unknown = IdentityStatus.unknown("default", "203.0.113.10", "mail.example.com", "DNS lookups timed out");
    assertThat(DecisionMaker.decide(settings("mode = enforce"), unknown).action()).isEqualTo(Action.ACCEPT);
    Decision d = DecisionMaker.decide(settings("mode = enforce, on-dns-error = tempfail"), unknown);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.smtpReply()).endsWith("not ready: DNS lookups timed out");
    assertThat(DecisionMaker.decide(settings("mode = enforce, on-dns-error = tempfail, enforce.action = hold"), unknown)
        .action()).isEqualTo(Action.HOLD);
  }

  @Test
  void customReplyTemplateAndHostileReasonText() throws Exception {
    Settings s = settings("mode = enforce, enforce.reply = \"450 4.7.1 {identity} {verdict} {code}: {reason}\"");
    IdentityStatus st = new IdentityStatus("b", "198.51.100.7", List.of(), "x.example.org", Verdict.FAIL,
        List.of("ehlo.invalid"), "EHLO name \"bad\r\nname\u0000\" is not \u00e9 FQDN" + "x".repeat(500), false);
    String reply = DecisionMaker.decide(s, st).smtpReply();
    assertThat(reply).startsWith("450 4.7.1 b fail ehlo.invalid: EHLO name \"bad??name?\" is not ? FQDNxxx");
    assertThat(reply).doesNotContain("\r", "\n", "\u0000");
    assertThat(reply.length()).isLessThan(260);
  }

  @Test
  void longValuesCannotPushTheReplyPastTheSmtpLineLimit() throws Exception {
    // Found by ReplyTextFuzzTest: a 400-character template was valid with the short sample values,
    // then a long identity name and reason made a reply Postfix would refuse.
    String template = "451 4.7.25 {identity} {reason} " + "x".repeat(380);
    Settings enforce = settings("mode = enforce, enforce.reply = \"" + template + "\"");
    IdentityStatus longOne = new IdentityStatus("i".repeat(300), "203.0.113.10", List.of(), "mail.example.com",
        Verdict.FAIL, List.of("ptr.missing"), "r".repeat(300), false);
    String reply = DecisionMaker.decide(enforce, longOne).smtpReply();
    assertThat(reply).hasSizeLessThanOrEqualTo(org.ptrguard.milter.MilterReply.MAX_LINE_LENGTH).startsWith("451 4.7.25 ");
    assertThat(org.ptrguard.milter.MilterReply.replyCode(reply).code()).isEqualTo('y');
  }

  @Test
  void aTemplateWithNonAsciiTextIsRejectedAtLoad() {
    // Also found by ReplyTextFuzzTest: the loader let non-ASCII through; the reply then failed at send.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> settings("enforce.reply = \"451 4.7.25 d\u00e9j\u00e0 vu\""))
        .hasMessageContaining("printable ASCII");
  }
}
