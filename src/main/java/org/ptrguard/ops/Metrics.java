package org.ptrguard.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A small registry of counters and gauges rendered in the Prometheus text format (version 0.0.4).
 * Counting is a LongAdder increment, cheap enough for every milter command.
 */
public final class Metrics {
  private final Map<String, Family> families = new ConcurrentSkipListMap<>();

  private sealed interface Family permits CounterFamily, GaugeFamily, CounterFunction {}

  /** A counter kept elsewhere (e.g. the DNS layer's), read at scrape time, as is its help text. */
  private record CounterFunction(Supplier<String> help, List<String> labelNames,
      Supplier<Map<List<String>, Double>> values) implements Family {}

  /** A counter with fixed label names; {@link #labels} picks (or creates) one series. */
  public static final class CounterFamily implements Family {
    final String help;
    final List<String> labelNames;
    final Map<List<String>, LongAdder> series = new ConcurrentHashMap<>();

    CounterFamily(String help, List<String> labelNames) {
      this.help = help;
      this.labelNames = labelNames;
    }

    public LongAdder labels(String... values) {
      if (values.length != labelNames.size()) {
        throw new IllegalArgumentException("expected labels " + labelNames);
      }
      return series.computeIfAbsent(List.of(values), k -> new LongAdder());
    }

    public long total() {
      return series.values().stream().mapToLong(LongAdder::sum).sum();
    }
  }

  private record GaugeFamily(String help, List<String> labelNames,
      Supplier<Map<List<String>, Double>> values) implements Family {}

  /**
   * Registers (or returns the existing) counter; the name should end in {@code _total}. A counter
   * without labels shows 0 from the start, so "no events yet" can be told from "not exported" (and
   * alerted on); give a labelled one its known series with {@code labels(...)} at start for the same.
   */
  public CounterFamily counter(String name, String help, String... labelNames) {
    Family f = families.computeIfAbsent(name, n -> new CounterFamily(help, List.of(labelNames)));
    if (!(f instanceof CounterFamily c)) {
      throw new IllegalArgumentException(name + " is already a gauge");
    }
    if (labelNames.length == 0) {
      c.labels();
    }
    return c;
  }

  /** A gauge whose series are computed at scrape time (label values -> value). */
  public void gauge(String name, String help, List<String> labelNames, Supplier<Map<List<String>, Double>> values) {
    families.put(name, new GaugeFamily(help, List.copyOf(labelNames), values));
  }

  /** A counter whose series are read at scrape time from a counter kept elsewhere. */
  public void counterFunction(String name, String help, List<String> labelNames, Supplier<Map<List<String>, Double>> values) {
    counterFunction(name, () -> help, labelNames, values);
  }

  /** As above, with a help text that is only known at scrape time. */
  public void counterFunction(String name, Supplier<String> help, List<String> labelNames,
      Supplier<Map<List<String>, Double>> values) {
    families.put(name, new CounterFunction(help, List.copyOf(labelNames), values));
  }

  public String render() {
    StringBuilder out = new StringBuilder();
    families.forEach((name, family) -> {
      if (family instanceof CounterFamily c) {
        header(out, name, c.help, "counter");
        SortedMap<String, Long> lines = new TreeMap<>();
        c.series.forEach((labels, adder) -> lines.put(name + labels(c.labelNames, labels), adder.sum()));
        lines.forEach((series, value) -> out.append(series).append(' ').append(value).append('\n'));
      } else if (family instanceof GaugeFamily g) {
        supplied(out, name, g.help(), "gauge", g.labelNames(), g.values());
      } else if (family instanceof CounterFunction c) {
        supplied(out, name, c.help().get(), "counter", c.labelNames(), c.values());
      }
    });
    return out.toString();
  }

  private static void supplied(StringBuilder out, String name, String help, String type, List<String> labelNames,
      Supplier<Map<List<String>, Double>> values) {
    header(out, name, help, type);
    SortedMap<String, Double> lines = new TreeMap<>();
    values.get().forEach((labels, value) -> lines.put(name + labels(labelNames, labels), value));
    lines.forEach((series, value) -> out.append(series).append(' ').append(number(value)).append('\n'));
  }

  private static void header(StringBuilder out, String name, String help, String type) {
    out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static String labels(List<String> names, List<String> values) {
    if (names.isEmpty()) {
      return "";
    }
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      pairs.add(names.get(i) + "=\"" + escapeLabel(values.get(i)) + "\"");
    }
    return "{" + String.join(",", pairs) + "}";
  }

  static String escapeLabel(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String number(double v) {
    return v == Math.rint(v) && !Double.isInfinite(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
