package org.ptrguard.monitor;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.ptrguard.config.Settings;

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

  /** Waits until every identity has a first verdict, or the timeout passes; true if all have one. */
  boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException;

  @Override
  void close();
}
