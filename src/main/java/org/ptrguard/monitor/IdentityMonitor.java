package org.ptrguard.monitor;

import java.time.Duration;
import org.ptrguard.config.Settings;

/**
 * Keeps the configured identities checked in the background and serves their status to the guard.
 * Lifecycle: created with the first settings, {@link #update} on reload, {@link #close} at stop.
 */
public interface IdentityMonitor extends IdentityStatusSource, AutoCloseable {
  /** Re-discovers and re-checks identities whose definition changed; keeps the others warm. */
  void update(Settings settings);

  /** Waits until every identity has a first verdict, or the timeout passes; true if all have one. */
  boolean awaitFirstVerdicts(Duration timeout) throws InterruptedException;

  @Override
  void close();
}
