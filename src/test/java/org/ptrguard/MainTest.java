package org.ptrguard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {
  @Test
  void unknownCommandIsAUsageError() {
    assertThat(Main.run(new String[] {"frobnicate"})).isEqualTo(Main.EXIT_USAGE);
  }

  @Test
  void helpExitsZero() {
    assertThat(Main.run(new String[] {"--help"})).isZero();
  }
}
