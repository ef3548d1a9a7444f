package org.ptrguard.monitor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.identity.Addresses;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.ops.Metrics;

/** The monitor's metrics, computed at scrape time from what the monitor already keeps. */
final class MonitorMetrics {
  /** One checked address and its current verdict. */
  record TargetVerdict(Target target, Verdict verdict) {}

  private MonitorMetrics() {}

  /**
   * @param verdicts the current verdict of every resolved address that has one
   * @param lookups the monitor's own lookup counters, which outlive every checker a reload swaps in
   */
  static void register(Metrics metrics, Supplier<List<TargetVerdict>> verdicts, DnsCounters lookups) {
    metrics.gauge("ptrguard_identity_verdict", "1 for each identity address's current verdict",
        List.of("identity", "ip", "verdict"), () -> {
          Map<List<String>, Double> out = new HashMap<>();
          for (TargetVerdict tv : verdicts.get()) {
            out.put(List.of(tv.target().identityName(), Addresses.text(tv.target().identity().ip()), tv.verdict().word()), 1.0);
          }
          return out;
        });
    metrics.counterFunction("ptrguard_dns_lookups_total", "DNS lookups by outcome", List.of("outcome"), () -> {
      Map<List<String>, Double> out = new HashMap<>();
      lookups.counts().forEach((k, v) -> out.put(List.of(k), v.doubleValue()));
      return out;
    });
  }
}
