package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void aCounterWithoutLabelsShowsZeroBeforeItsFirstEvent() {
    Metrics metrics = new Metrics();
    Metrics.CounterFamily waits = metrics.counter("ptrguard_smtp_path_identity_waits_total", "Waits");
    assertThat(metrics.render()).contains("\nptrguard_smtp_path_identity_waits_total 0\n");
    waits.labels().increment();
    assertThat(metrics.render()).contains("\nptrguard_smtp_path_identity_waits_total 1\n");
    // A labelled counter has no series until one is named (its label values are not known here).
    metrics.counter("ptrguard_other_total", "Other", "kind");
    assertThat(metrics.render()).contains("# TYPE ptrguard_other_total counter\n").doesNotContain("ptrguard_other_total{");
  }

  @Test
  void aCounterFunctionsHelpIsReadAtEachScrape() {
    Metrics metrics = new Metrics();
    AtomicInteger scrapes = new AtomicInteger();
    metrics.counterFunction("ptrguard_x_total", () -> "scrape " + scrapes.incrementAndGet(), List.of(),
        () -> Map.of(List.of(), 2.0));
    assertThat(scrapes).hasValue(0);
    assertThat(metrics.render()).contains("# HELP ptrguard_x_total scrape 1\n").contains("\nptrguard_x_total 2\n");
    assertThat(metrics.render()).contains("# HELP ptrguard_x_total scrape 2\n");
  }
}
