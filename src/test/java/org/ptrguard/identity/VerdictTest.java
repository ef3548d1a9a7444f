package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pins the one severity order every ranking in ptrguard uses (check output, the enforce path, exit codes). */
class VerdictTest {

  @Test
  void severityRunsPassWarnUnknownFail() {
    List<Verdict> sorted = new ArrayList<>(List.of(Verdict.FAIL, Verdict.PASS, Verdict.UNKNOWN, Verdict.WARN));
    sorted.sort(Verdict.SEVERITY);
    assertThat(sorted).containsExactly(Verdict.PASS, Verdict.WARN, Verdict.UNKNOWN, Verdict.FAIL);
  }

  @Test
  void aProvenFailureOutranksCouldNotFindOut() {
    assertThat(Verdict.worst(Verdict.UNKNOWN, Verdict.FAIL)).isEqualTo(Verdict.FAIL);
    assertThat(Verdict.worst(Verdict.FAIL, Verdict.UNKNOWN)).isEqualTo(Verdict.FAIL);
    assertThat(Verdict.FAIL.isWorseThan(Verdict.UNKNOWN)).isTrue();
    assertThat(Verdict.UNKNOWN.isWorseThan(Verdict.FAIL)).isFalse();
    assertThat(Verdict.worst(List.of(Verdict.WARN, Verdict.UNKNOWN, Verdict.FAIL, Verdict.PASS))).isEqualTo(Verdict.FAIL);
  }

  @Test
  void unknownOutranksWarningAndWorstOfNothingIsPass() {
    assertThat(Verdict.worst(List.of(Verdict.WARN, Verdict.UNKNOWN))).isEqualTo(Verdict.UNKNOWN);
    assertThat(Verdict.worst(List.of())).isEqualTo(Verdict.PASS);
    assertThat(Verdict.worst(Verdict.WARN, Verdict.WARN)).isEqualTo(Verdict.WARN);
  }
}
