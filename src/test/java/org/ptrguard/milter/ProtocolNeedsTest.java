package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProtocolNeedsTest {
  @Test
  void withRepliesDropsOnlyTheNoReplyEvents() {
    ProtocolNeeds needs = ProtocolNeeds.builder().events(MilterEvent.CONNECT, MilterEvent.HELO)
        .noReply(MilterEvent.CONNECT).actions(MilterAction.QUARANTINE).macros(MacroStage.HELO, "{tls_version}").build();
    ProtocolNeeds answered = needs.withReplies();
    assertThat(answered.noReply()).isEmpty();
    assertThat(answered.events()).isEqualTo(needs.events());
    assertThat(answered.actions()).isEqualTo(needs.actions());
    assertThat(answered.macros()).isEqualTo(needs.macros());
    // Nothing to drop: the same instance, so a per-connection call costs nothing.
    assertThat(answered.withReplies()).isSameAs(answered);
  }
}
