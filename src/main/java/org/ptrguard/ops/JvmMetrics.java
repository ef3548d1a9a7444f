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
    metrics.counterFunction("ptrguard_jvm_gc_seconds_total",
        "Time spent in garbage collections, by collector (with the serial collector ptrguard ships with, all of it paused)",
        List.of("collector"), () -> perCollector(gc -> gc.getCollectionTime() / 1000.0));
    metrics.gauge("ptrguard_jvm_heap_used_bytes", "Java heap in use, garbage included until the next collection",
        List.of(), () -> Map.of(List.of(), (double) ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()));
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
