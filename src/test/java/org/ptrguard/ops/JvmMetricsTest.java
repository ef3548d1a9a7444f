package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class JvmMetricsTest {
  private static final Pattern COLLECTIONS = Pattern.compile("(?m)^ptrguard_jvm_gc_collections_total\\{collector=\"[^\"]+\"} (\\d+)$");

  @Test
  void countsTheCollectionsThisJvmRuns() {
    Metrics metrics = new Metrics();
    JvmMetrics.register(metrics);
    long before = collections(metrics.render());
    System.gc();
    String after = metrics.render();
    assertThat(collections(after)).isGreaterThan(before);
    assertThat(after).contains("# TYPE ptrguard_jvm_gc_collections_total counter")
        .contains("# TYPE ptrguard_jvm_gc_seconds_total counter")
        .containsPattern("(?m)^ptrguard_jvm_heap_used_bytes [1-9]\\d*$");
  }

  private static long collections(String rendered) {
    Matcher m = COLLECTIONS.matcher(rendered);
    long sum = 0;
    while (m.find()) {
      sum += Long.parseLong(m.group(1));
    }
    return sum;
  }
}
