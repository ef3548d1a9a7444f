package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ptrguard.net.ListenAddress;

class SocketActivationTest {
  @Test
  void descriptorsStartAtThreeAndCarryTheirNames() {
    assertThat(SocketActivation.inherited(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "milter:"), 42))
        .containsExactly(new ListenAddress.Inherited(3, "milter"), new ListenAddress.Inherited(4, "fd4"));
  }

  @Test
  void variablesMeantForAnotherProcessAreIgnored() {
    // A child of an activated service inherits the variables but not the descriptors.
    assertThat(SocketActivation.inherited(Map.of("LISTEN_PID", "41", "LISTEN_FDS", "1"), 42)).isEmpty();
    assertThat(SocketActivation.inherited(Map.of("LISTEN_FDS", "1"), 42)).isEmpty();
    assertThat(SocketActivation.inherited(Map.of(), 42)).isEmpty();
  }

  @Test
  void malformedCountsAreErrorsNotGuesses() {
    assertThatThrownBy(() -> SocketActivation.inherited(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "two"), 42))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LISTEN_FDS");
    assertThatThrownBy(() -> SocketActivation.inherited(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "100000"), 42))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
  }
}
