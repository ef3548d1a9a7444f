package org.ptrguard.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.monitor.IdentityTargets.Target;

/**
 * Keeps the configured identities checked in the background and serves their status to the guard.
 * Lifecycle: created with the first settings, {@link #update} on reload, {@link #close} at stop.
 */
public interface IdentityMonitor extends IdentityStatusSource, AutoCloseable {
  /**
   * Re-discovers and re-checks identities whose definition changed, keeping the others warm; the
   * returned statuses belong to {@code settings} alone and complete once they can be served.
   */
  CompletionStage<IdentityStatusSource> update(Settings settings);

  /**
   * The statuses of the configuration this monitor serves now, bound to it: unlike the monitor
   * itself, what it serves does not change when {@link #update} prepares another configuration.
   */
  IdentityStatusSource current();

  /**
   * The counters behind {@code ptrguard_dns_lookups_total}: every background checker of the daemon
   * (the route monitor's too) counts its lookups here, so the metric is the daemon's whole DNS load.
   */
  DnsCounters lookups();

  /**
   * What the monitor knows now, for {@code ptrguard status}: every address of the served
   * configuration with its last report, and the identities that could not be resolved.
   */
  LiveView live();

  /**
   * Re-checks every address of the served configuration now, except those checked at or after
   * {@code since}; completes when all are done (each check ends within the check budget). Sessions
   * keep the previous verdicts until the new ones are in.
   */
  CompletionStage<Void> recheck(Instant since);

  /**
   * One checked address as the daemon sees it now.
   *
   * @param report the last report served (absent before the first check completes)
   * @param checkedAt when that report was made
   * @param stale true when it stands in for a check that failed temporarily
   * @param nextCheck when the next check is due (now while one runs)
   */
  record LiveTarget(Target target, Optional<IdentityReport> report, Optional<Instant> checkedAt, boolean stale,
      Optional<Instant> nextCheck) {}

  /** Every address of the served configuration, and the identities it could not resolve (why). */
  record LiveView(List<LiveTarget> targets, List<String> problems) {
    public LiveView {
      targets = List.copyOf(targets);
      problems = List.copyOf(problems);
    }
  }

  /** Waits until every identity has a first verdict, or the timeout passes; true if all have one. */
  boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException;

  @Override
  void close();
}
