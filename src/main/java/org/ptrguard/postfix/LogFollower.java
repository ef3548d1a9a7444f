package org.ptrguard.postfix;

import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Postfix's log on a thread of its own, from the end (history is not replayed), and hands on
 * each new line. Trouble with the source (a file gone or unreadable, journalctl missing or exiting)
 * is a log line and a retry with backoff; a follower never stops by itself, only by {@link #close()}.
 */
public interface LogFollower extends AutoCloseable {
  /** Begins following; returns at once. */
  LogFollower start();

  /** {@code file /var/log/mail.log} or {@code journal}, for log lines and status. */
  String description();

  /** Stops the thread (and journalctl); waits briefly for it. */
  @Override
  void close();

  /**
   * Poll period of the file follower, the backoff bounds after a failure, and how long a rotated-away
   * file is still read after its successor appeared (the writer may not have reopened yet).
   */
  record Timing(Duration poll, Duration backoffMin, Duration backoffMax, Duration rotationGrace) {
    public static final Timing STANDARD =
        new Timing(Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(60));
  }

  /**
   * A line consumer that parses each line and passes smtp/lmtp client lines to {@code listener}.
   * A listener that throws gets a log line; the follower goes on.
   */
  static Consumer<String> delivering(DeliveryLogParser parser, DeliveryLogListener listener) {
    Logger log = LoggerFactory.getLogger(LogFollower.class);
    return raw -> {
      try {
        parser.parse(raw).ifPresent(listener::onLine);
      } catch (RuntimeException e) {
        log.warn("event=feedback-listener-error error={}", org.ptrguard.ops.LogValues.of(e.toString()));
      }
    };
  }
}
