package org.ptrguard.ops;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action on one thread, one run at a time, folding requests together: a request made while
 * a run is under way causes exactly one more run after it, however many requests came meanwhile.
 * For reloads this means the last signal wins and is applied once, after every earlier one, so a
 * burst of SIGHUPs ends with the file as it was after the last of them and two reloads never race.
 */
public final class CoalescingRunner {
  private static final Logger LOG = LoggerFactory.getLogger(CoalescingRunner.class);

  private final Runnable action;
  private final String event;
  private final AtomicBoolean queued = new AtomicBoolean();
  private final ExecutorService thread;

  /** {@code name} names the thread; {@code event} the log event of a run that failed. */
  public CoalescingRunner(String name, String event, Runnable action) {
    this.action = action;
    this.event = event;
    this.thread = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Asks for a run; returns at once. */
  public void request() {
    if (queued.compareAndSet(false, true)) {
      thread.execute(this::runOnce);
    }
  }

  private void runOnce() {
    // Cleared before the run starts: a request from now on must see this run's successor.
    queued.set(false);
    try {
      action.run();
    } catch (RuntimeException | Error e) {
      // An Error too (a StackOverflowError in a parser): the runner must outlive one bad run.
      LOG.error("event={} error={}", event, LogValues.of(e));
    }
  }
}
