package org.ptrguard.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGHUP means "reload" (systemctl reload). The JVM's default for SIGHUP is to exit with 129, so
 * the handler must be installed before the unit's ExecReload can ever fire.
 */
public final class Signals {
  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /** Runs {@code action} on its own thread for every SIGHUP; a failing action is logged, not fatal. */
  public static void onHangup(Runnable action) {
    Signal.handle(new Signal("HUP"), signal -> {
      Thread t = new Thread(() -> {
        try {
          action.run();
        } catch (RuntimeException e) {
          LOG.error("event=reload-error error={}", LogValues.of(e));
        }
      }, "ptrguard-reload");
      t.setDaemon(true);
      t.start();
    });
  }
}
