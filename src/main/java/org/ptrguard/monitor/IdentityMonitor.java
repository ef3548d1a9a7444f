package org.ptrguard.monitor;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsCounters;

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

  /** Waits until every identity has a first verdict, or the timeout passes; true if all have one. */
  boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException;

  @Override
  void close();
}
