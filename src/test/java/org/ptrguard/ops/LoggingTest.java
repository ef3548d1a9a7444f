package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoggingTest {
  @Test
  void journalStreamCountsOnlyWhenItNamesStderr() {
    assertThat(Logging.isJournalStream("8:12345", Optional.of("8:12345"))).isTrue();
    assertThat(Logging.isJournalStream("8:12345\n", Optional.of("8:12345"))).isTrue();
    assertThat(Logging.isJournalStream("8:12345", Optional.of("8:12346"))).isFalse();
    assertThat(Logging.isJournalStream("9:12345", Optional.of("8:12345"))).isFalse();
    assertThat(Logging.isJournalStream(null, Optional.of("8:12345"))).isFalse();
    assertThat(Logging.isJournalStream("8:12345", Optional.empty())).isFalse();
    assertThat(Logging.isJournalStream("", Optional.of("8:12345"))).isFalse();
  }

  @Test
  void stderrIsReadableOnLinux() {
    assertThat(Logging.stderrDeviceAndInode()).hasValueSatisfying(v -> assertThat(v).matches("\\d+:\\d+"));
  }
}
