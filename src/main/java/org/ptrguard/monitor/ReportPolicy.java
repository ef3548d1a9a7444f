package org.ptrguard.monitor;

import java.time.Duration;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;

/**
 * How the monitor caches an identity report: for as long as its shortest record TTL, and an
 * UNKNOWN report (a temporary DNS failure) never replaces a definitive one. Shared by the
 * per-identity and the per-route caches so the two judge freshness the same way.
 */
final class ReportPolicy implements RefreshingCache.ValuePolicy<IdentityReport> {
  static final ReportPolicy INSTANCE = new ReportPolicy();

  private ReportPolicy() {}

  /** The refresh timing from the configuration, the same for identities and routes. */
  static RefreshingCache.Timing timing(Settings s) {
    // A failed check is retried sooner than a good one is refreshed, but not in a tight loop.
    Duration retry = s.refresh().min().compareTo(Duration.ofSeconds(30)) < 0 ? s.refresh().min() : Duration.ofSeconds(30);
    return new RefreshingCache.Timing(s.refresh().min(), s.refresh().max(), s.dns().staleMax(), retry);
  }

  @Override
  public Duration ttl(IdentityReport report) {
    return report.minTtl();
  }

  @Override
  public boolean definitive(IdentityReport report) {
    return report.verdict() != Verdict.UNKNOWN;
  }

  /**
   * A change still propagating (dns.propagating): the report's TTL is what the resolver has left
   * of its old copy, and the check after it expires sees the new answer, long before refresh.max.
   */
  @Override
  public boolean reloadAfterExpiry(IdentityReport report) {
    return report.propagating();
  }
}
