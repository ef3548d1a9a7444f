package org.ptrguard.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP means "reload" (systemctl reload). The JVM's default for SIGHUP is to exit with 129, so
 * the handler must be installed before the unit's ExecReload can ever fire.
 */
public final class Signals {
  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * Runs {@code action} for SIGHUP on one reload thread, serialised and coalesced (see
   * {@link CoalescingRunner}): a failing action is logged, not fatal.
   * Logs a warning when SIGHUP was ignored when the process started (nohup, some init scripts): the
   * JVM then leaves it ignored, and a reload signal would otherwise do nothing without a word.
   */
  public static void onHangup(Runnable action) {
    CoalescingRunner reloads = new CoalescingRunner("ptrguard-reload", "reload-error", action);
    SignalHandler before = Signal.handle(new Signal("HUP"), signal -> reloads.request());
    if (before == SignalHandler.SIG_IGN) {
      LOG.warn("event=reload-unavailable reason=sighup-ignored detail=\"ptrguard was started with SIGHUP ignored"
          + " (nohup?); kill -HUP and systemctl reload will not reload the configuration: restart to apply changes\"");
    }
  }
}
