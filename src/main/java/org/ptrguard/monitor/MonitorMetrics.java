package org.ptrguard.monitor;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.Metrics;

/** The monitor's metrics, computed at scrape time from what the monitor already keeps. */
final class MonitorMetrics {
  /**
   * One address to check, with its current verdict and when the check that gave it ran (a stale
   * stand-in keeps the time of the check it stands in for); both empty before the first check.
   */
  record TargetVerdict(Target target, Optional<Verdict> verdict, Optional<Instant> checkedAt) {}

  private MonitorMetrics() {}

  /**
   * Every address gets a series per verdict (1 for the current one, 0 for the others, all 0 before
   * the first check) and its check time (0 before the first check), so alerts can use plain
   * comparisons and nothing appears or vanishes when a verdict changes.
   *
   * @param verdicts every address the monitor checks
   * @param lookups the monitor's own lookup counters, which outlive every checker a reload swaps in
   */
  static void register(Metrics metrics, Supplier<List<TargetVerdict>> verdicts, DnsCounters lookups) {
    metrics.gauge("ptrguard_identity_verdict", "1 for each identity address's current verdict, 0 for the other verdicts",
        List.of("identity", "ip", "verdict"), () -> {
          Map<List<String>, Double> out = new HashMap<>();
          for (TargetVerdict tv : verdicts.get()) {
            for (Verdict v : Verdict.values()) {
              out.put(List.of(tv.target().identityName(), Addresses.text(tv.target().identity().ip()), v.word()),
                  tv.verdict().filter(v::equals).isPresent() ? 1.0 : 0.0);
            }
          }
          return out;
        });
    metrics.gauge("ptrguard_identity_last_check_timestamp_seconds",
        "When the check that gave each identity address's current verdict ran (Unix time; 0 before the first check)",
        List.of("identity", "ip"), () -> {
          Map<List<String>, Double> out = new HashMap<>();
          for (TargetVerdict tv : verdicts.get()) {
            out.put(List.of(tv.target().identityName(), Addresses.text(tv.target().identity().ip())),
                tv.checkedAt().map(t -> t.toEpochMilli() / 1000.0).orElse(0.0));
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
