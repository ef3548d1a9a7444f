package org.ptrguard.ops;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The JVM's own costs next to ptrguard's counters: collections and the time they took, and heap in
 * use. A garbage collection pauses every milter session in flight, so this is where a latency tail
 * shows its cause. The management beans are looked up at the first scrape, not at start: a daemon
 * whose metrics are never read does not load them.
 */
public final class JvmMetrics {
  private JvmMetrics() {}

  public static void register(Metrics metrics) {
    metrics.counterFunction("ptrguard_jvm_gc_collections_total", "Garbage collections, by collector",
        List.of("collector"), () -> perCollector(GarbageCollectorMXBean::getCollectionCount));
    // The help names the collector this JVM runs: the packaged launcher picks Serial, a plain
    // `java -jar` usually gets G1. Built at the first scrape, like the values.
    metrics.counterFunction("ptrguard_jvm_gc_seconds_total",
        () -> gcSecondsHelp(ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList()),
        List.of("collector"), () -> perCollector(gc -> gc.getCollectionTime() / 1000.0));
    metrics.gauge("ptrguard_jvm_heap_used_bytes", "Java heap in use, garbage included until the next collection",
        List.of(), () -> Map.of(List.of(), (double) ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()));
  }

  /** The help text of ptrguard_jvm_gc_seconds_total for a JVM with these collector beans. */
  static String gcSecondsHelp(List<String> beanNames) {
    String collector = collectorName(beanNames);
    String counted = switch (collector) {
      case "Serial", "Parallel", "G1" -> "pauses, during which every milter session in flight waits";
      case "ZGC", "Shenandoah" -> "collection cycles, mostly concurrent with the application";
      default -> "as the JVM reports it";
    };
    return "Time spent in garbage collections, by collector; this JVM runs the " + collector + " collector ("
        + String.join(", ", beanNames) + "), whose time here is " + counted;
  }

  /** The collector's usual name from its management beans' names (HotSpot's spelling). */
  static String collectorName(List<String> beanNames) {
    String all = String.join(" ", beanNames);
    if (all.contains("G1 ")) {
      return "G1";
    }
    if (beanNames.contains("Copy") || beanNames.contains("MarkSweepCompact")) {
      return "Serial";
    }
    if (all.contains("PS Scavenge") || all.contains("PS MarkSweep")) {
      return "Parallel";
    }
    if (all.contains("ZGC")) {
      return "ZGC";
    }
    if (all.contains("Shenandoah")) {
      return "Shenandoah";
    }
    return beanNames.isEmpty() ? "unknown" : String.join("/", beanNames);
  }

  private static Map<List<String>, Double> perCollector(ToDoubleFunction<GarbageCollectorMXBean> value) {
    Map<List<String>, Double> out = new HashMap<>();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      // -1 means "not available" for this collector; leave the series out rather than report it.
      double v = value.applyAsDouble(gc);
      if (v >= 0) {
        out.put(List.of(gc.getName()), v);
      }
    }
    return out;
  }
}
