package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MilterStatsTest {
  @Test
  void everyCommandAndRefusalReasonStartsAtZero() {
    MilterStats stats = new MilterStats();
    assertThat(stats.commands()).containsOnlyKeys(Arrays.stream(MilterCommand.class.getPermittedSubclasses())
        .map(Class::getSimpleName).toList()).containsKeys("Helo", "Connect").allSatisfy((k, v) -> assertThat(v).isZero());
    assertThat(stats.refusedConnections()).containsOnlyKeys(MilterServer.REFUSAL_REASONS)
        .allSatisfy((k, v) -> assertThat(v).isZero());
    stats.refused(MilterServer.MAX_CONNECTIONS);
    assertThat(stats.refusedConnections()).containsEntry("max-connections", 1L).containsEntry("not-in-allow-from", 0L);
  }
}
