package org.ptrguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchSuiteTest {
  @Test
  void pairedRatioDividesWithinEachRoundAndReportsTheRange() {
    // {accepted, delivered} per round; the machine slowed down in round 2 for both instances.
    List<double[]> with = List.of(new double[] {90, 45}, new double[] {60, 30}, new double[] {80, 50});
    List<double[]> without = List.of(new double[] {100, 50}, new double[] {60, 40}, new double[] {100, 50});

    assertThat(BenchSuite.pairedRatio(with, without, 0)).isEqualTo("90.0% (80.0-100.0)");
    assertThat(BenchSuite.pairedRatio(with, without, 1)).isEqualTo("90.0% (75.0-100.0)");
    // The ratio of the medians would have said 80/100 = 80%: the slow round counts against one side only.
    assertThat(BenchSuite.median(with, r -> r[0]) / BenchSuite.median(without, r -> r[0])).isEqualTo(0.8);
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(BenchSuite.median(List.of(4.0, 1.0, 3.0, 2.0), v -> v)).isEqualTo(2.5);
    assertThat(BenchSuite.median(List.<Double>of(), v -> v)).isNaN();
  }
}
