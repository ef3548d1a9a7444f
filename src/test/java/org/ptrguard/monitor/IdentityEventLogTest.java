package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.ptrguard.identity.Finding;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.testing.LogCapture;

/** The daemon's event=identity lines: once per change of the verdict or of the receiver matrix, naming the receivers lost. */
class IdentityEventLogTest {
  private static final Instant NOW = Instant.parse("2026-12-03T07:00:00Z");

  private static IdentityReport report(Identity id, List<String> ptr, Finding... findings) {
    Verdict v = Verdict.worst(java.util.Arrays.stream(findings).map(Finding::severity).toList());
    return new IdentityReport(id, ptr, v, List.of(findings), Optional.empty(), Duration.ofMinutes(5), NOW);
  }

  private static Finding finding(String code, Verdict severity) {
    return new Finding(code, severity, code, List.of(), "fix it");
  }

  @Test
  void aBrokenIpv6IdentityNamesTheReceiversItLosesOnceAndARecoveryIsOneInfoLine() throws Exception {
    Identity v6 = new Identity("default", InetAddress.getByName("2001:db8::25"), "mail.example.com", false);
    IdentityReport good = report(v6, List.of("mail.example.com"));
    IdentityReport noPtr = report(v6, List.of(), finding("ptr.missing", Verdict.FAIL));
    try (LogCapture log = LogCapture.start()) {
      IdentityEventLog.changed(v6, Optional.empty(), good);
      IdentityEventLog.changed(v6, Optional.of(good), good);
      IdentityEventLog.changed(v6, Optional.of(good), noPtr);
      IdentityEventLog.changed(v6, Optional.of(noPtr), noPtr);
      IdentityEventLog.changed(v6, Optional.of(noPtr), good);
      List<String> lines = log.linesContaining("event=identity ");
      assertThat(lines).hasSize(3);
      assertThat(lines.get(0)).contains("INFO").contains("verdict=pass codes=- receivers-rejecting=- receivers-scoring=-");
      assertThat(lines.get(1)).contains("WARN").contains("from=pass to=fail codes=ptr.missing")
          .contains("receivers-rejecting=gmail-v6,microsoft-v6,yahoo-v6,postfix-v6")
          .contains("receivers-scoring=spamassassin-v6+2.399,rspamd-v6+3.5");
      assertThat(lines.get(2)).contains("INFO").contains("from=fail to=pass").contains("receivers-rejecting=- ");
    }
  }

  @Test
  void aMatrixChangeUnderTheSameVerdictIsLoggedToo() throws Exception {
    Identity v4 = new Identity("default", InetAddress.getByName("192.0.2.10"), "mail.example.com", true);
    // both fail, but a missing PTR and a PTR that does not resolve back differ at Postfix and rspamd
    IdentityReport noPtr = report(v4, List.of(), finding("ptr.missing", Verdict.FAIL));
    IdentityReport mismatch = report(v4, List.of("other.example.com"), finding("fcrdns.mismatch", Verdict.FAIL));
    try (LogCapture log = LogCapture.start()) {
      IdentityEventLog.changed(v4, Optional.of(noPtr), mismatch);
      IdentityEventLog.changed(v4, Optional.of(mismatch), mismatch);
      assertThat(log.linesContaining("event=identity ")).singleElement().asString()
          .contains("WARN").contains("from=fail to=fail codes=fcrdns.mismatch")
          .contains("receivers-rejecting=gmail,microsoft,yahoo,postfix receivers-scoring=spamassassin+2.399,rspamd+2.5");
    }
  }
}
