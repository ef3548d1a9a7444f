package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityStatus;

class DecisionLineTest {
  private static final IdentityStatus FAILING = new IdentityStatus("default", "203.0.113.10",
      List.of("host-203-0-113-10.isp.example"), "mail.example.com", Verdict.FAIL,
      List.of("fcrdns.mismatch", "ptr.generic"), "PTR name does not resolve back", false);

  @Test
  void enforceLineHasEveryField() throws Exception {
    Settings s = ConfigLoader.parse("mode = enforce");
    String line = DecisionLine.format(Mode.ENFORCE, DecisionMaker.decide(s, FAILING), "helo",
        Optional.of("10.0.0.5"), Optional.of("submission"), 42);
    assertThat(line).isEqualTo("event=decision mode=enforce action=tempfail identity=default ip=203.0.113.10"
        + " ptr=host-203-0-113-10.isp.example ehlo=mail.example.com verdict=fail codes=fcrdns.mismatch,ptr.generic"
        + " stage=helo client=10.0.0.5 daemon=submission conn=42");
  }

  @Test
  void auditLineSaysWhatEnforceWouldDo() throws Exception {
    Settings s = ConfigLoader.parse("mode = audit");
    String line = DecisionLine.format(Mode.AUDIT, DecisionMaker.decide(s, FAILING), "mail",
        Optional.empty(), Optional.empty(), 7);
    assertThat(line).startsWith("event=decision mode=audit action=accept would=tempfail identity=default")
        .contains(" stage=mail client=- daemon=- conn=7");
  }

  @Test
  void networkValuesCannotForgeLogLines() throws Exception {
    Settings s = ConfigLoader.parse("mode = audit");
    String line = DecisionLine.format(Mode.AUDIT, DecisionMaker.decide(s, FAILING), "helo",
        Optional.of("10.0.0.5\nevent=decision verdict=pass"), Optional.of("\u001b[2Jsub"), 1);
    assertThat(line).doesNotContain("\n", "\u001b")
        .contains("client=\"10.0.0.5\\x0aevent=decision verdict=pass\"")
        .contains("daemon=\"\\x1b[2Jsub\"");
  }
}
