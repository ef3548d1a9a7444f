package org.ptrguard.dns;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Queries sent, by outcome word (noerror, nxdomain, nodata, servfail, timeout, failure). */
public final class DnsCounters {
  private final Map<String, LongAdder> byOutcome = new ConcurrentHashMap<>();

  /** Every outcome starts at 0, so a metrics scrape shows each one before it first happens. */
  public DnsCounters() {
    DnsOutcome.WORDS.forEach(w -> byOutcome.put(w, new LongAdder()));
  }

  void record(DnsOutcome outcome) {
    byOutcome.computeIfAbsent(DnsOutcome.word(outcome), k -> new LongAdder()).increment();
  }

  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    byOutcome.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public long total() {
    return byOutcome.values().stream().mapToLong(LongAdder::sum).sum();
  }
}
