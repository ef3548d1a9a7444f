package org.ptrguard.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DnsCountersTest {
  /** One outcome of each kind: WORDS must list every word they map to, and nothing else. */
  static final List<DnsOutcome> ONE_OF_EACH = List.of(
      new DnsOutcome.Answer(List.of(), List.of(), 60, "r"), new DnsOutcome.NxDomain(60, "example.com", "r"),
      new DnsOutcome.NoData(60, "example.com", "r"), new DnsOutcome.ServFail("r"), new DnsOutcome.Timeout("r"),
      new DnsOutcome.Failure("refused", "r"));

  @Test
  void everyOutcomeIsCountedFromZero() {
    assertThat(ONE_OF_EACH.stream().map(o -> o.getClass()).distinct())
        .as("one instance per kind of outcome").hasSize(DnsOutcome.class.getPermittedSubclasses().length);
    assertThat(ONE_OF_EACH.stream().map(DnsOutcome::word).toList()).containsExactlyInAnyOrderElementsOf(DnsOutcome.WORDS);
    DnsCounters counters = new DnsCounters();
    assertThat(counters.counts()).containsOnlyKeys(DnsOutcome.WORDS).allSatisfy((k, v) -> assertThat(v).isZero());
    counters.record(ONE_OF_EACH.get(4));
    assertThat(counters.counts()).containsEntry("timeout", 1L).containsEntry("noerror", 0L);
    assertThat(counters.total()).isEqualTo(1);
  }
}
