package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
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

  @Test
  void helpNamesTheCollectorThisJvmRuns() {
    Metrics metrics = new Metrics();
    JvmMetrics.register(metrics);
    List<String> beans = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList();
    assertThat(metrics.render()).contains("# HELP ptrguard_jvm_gc_seconds_total " + JvmMetrics.gcSecondsHelp(beans) + "\n")
        .contains(String.join(", ", beans));
  }

  @Test
  void collectorNamesFromHotSpotsBeans() {
    assertThat(JvmMetrics.collectorName(List.of("G1 Young Generation", "G1 Old Generation"))).isEqualTo("G1");
    assertThat(JvmMetrics.collectorName(List.of("Copy", "MarkSweepCompact"))).isEqualTo("Serial");
    assertThat(JvmMetrics.collectorName(List.of("PS Scavenge", "PS MarkSweep"))).isEqualTo("Parallel");
    assertThat(JvmMetrics.collectorName(List.of("ZGC Cycles", "ZGC Pauses"))).isEqualTo("ZGC");
    assertThat(JvmMetrics.collectorName(List.of("Shenandoah Pauses", "Shenandoah Cycles"))).isEqualTo("Shenandoah");
    assertThat(JvmMetrics.gcSecondsHelp(List.of("Copy", "MarkSweepCompact")))
        .contains("runs the Serial collector (Copy, MarkSweepCompact)").contains("pauses");
    assertThat(JvmMetrics.gcSecondsHelp(List.of("G1 Young Generation", "G1 Old Generation")))
        .contains("runs the G1 collector").doesNotContain("Serial");
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
