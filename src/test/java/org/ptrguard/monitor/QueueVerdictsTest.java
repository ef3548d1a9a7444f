package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ptrguard.identity.Verdict;

class QueueVerdictsTest {
  @Test
  void answersPerRecipientThenPerMessageAndForgetsTheOldestFirst() {
    QueueVerdicts q = new QueueVerdicts(2);
    q.remember("4AbC1", Verdict.FAIL, Map.of("<Bad@Example.NET>", Verdict.FAIL, "<good@example.org>", Verdict.PASS));
    q.remember(" ", Verdict.PASS); // Postfix sent no queue ID: nothing to remember
    assertThat(q.size()).isEqualTo(1);
    assertThat(q.verdict("4AbC1", "good@example.org")).contains(Verdict.PASS);
    assertThat(q.verdict("4AbC1", "bad@example.net")).contains(Verdict.FAIL);
    assertThat(q.verdict("4AbC1", "other@example.com")).as("not decided per recipient: the message's").contains(Verdict.FAIL);
    assertThat(q.verdict("4abc1", "good@example.org")).as("queue IDs are case-sensitive").isEmpty();

    q.remember("B2", Verdict.PASS);
    q.remember("C3", Verdict.WARN);
    assertThat(q.size()).isEqualTo(2);
    assertThat(q.verdict("4AbC1", "good@example.org")).isEmpty();
    assertThat(q.verdict("C3", "x@example.com")).contains(Verdict.WARN);
    assertThatThrownBy(() -> new QueueVerdicts(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
