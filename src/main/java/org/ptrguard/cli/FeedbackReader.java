package org.ptrguard.cli;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.ptrguard.config.FeedbackSource;
import org.ptrguard.config.Settings;
import org.ptrguard.monitor.DeliveryLogFeedback;
import org.ptrguard.monitor.ReceiverFeedback;
import org.ptrguard.ops.LogValues;
import org.ptrguard.postfix.DeliveryLogParser;
import org.ptrguard.postfix.FeedbackSources;
import org.ptrguard.postfix.FileLogFollower;
import org.ptrguard.postfix.JournalLogFollower;
import org.ptrguard.postfix.LogFollower;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.ReceiverReplies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's reader of Postfix's log ({@code feedback.source}): resolves the source (which may
 * fork journalctl and postconf) and runs the follower, both on threads of their own, never on an
 * event loop or the start-up path; a reload that changes the source swaps the follower.
 */
final class FeedbackReader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("org.ptrguard.feedback");

  private final DeliveryLogFeedback listener;
  private final ExecutorService starter = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "ptrguard-feedback-start");
    t.setDaemon(true);
    return t;
  });
  /** Touched only on the starter thread. */
  private LogFollower follower;
  private FeedbackSource source;
  private Optional<java.nio.file.Path> postfixConfig = Optional.empty();
  /** Why no log is followed right now (empty while one is), for the status; written on the starter thread. */
  private volatile Optional<String> notFollowing = Optional.of("the log source is still being resolved");

  FeedbackReader(ReceiverFeedback feedback) {
    this.listener = new DeliveryLogFeedback(ReceiverReplies.standard(), feedback, Clock.systemUTC());
  }

  /** Follows the configured source (start and reload); returns at once. */
  void apply(Settings settings) {
    FeedbackSource wanted = settings.feedback().source();
    Optional<java.nio.file.Path> config = settings.routes().postfixConfig();
    starter.execute(() -> {
      if (wanted.equals(source) && config.equals(postfixConfig)) {
        return;
      }
      stopFollower();
      source = wanted;
      postfixConfig = config;
      FeedbackSources.Resolved resolved = FeedbackSources.resolve(wanted, FeedbackSources.system(
          PostfixTools.forInstance(config)));
      if (resolved.off()) {
        LOG.info("event=feedback-off reason={}", LogValues.of(resolved.why()));
        notFollowing = Optional.of(resolved.why());
        return;
      }
      DeliveryLogParser parser = DeliveryLogParser.standard();
      follower = switch (resolved.kind()) {
        case JOURNAL -> JournalLogFollower.of(parser, listener);
        default -> FileLogFollower.of(resolved.file().orElseThrow(), parser, listener);
      };
      follower.start();
      notFollowing = Optional.empty();
      LOG.info("event=feedback-following source={} reason={}", LogValues.of(resolved.description()),
          LogValues.of(resolved.why()));
    });
  }

  /** Why the daemon follows no log of Postfix's now; empty while it does. */
  Optional<String> notFollowing() {
    return notFollowing;
  }

  private void stopFollower() {
    if (follower != null) {
      follower.close();
      LOG.info("event=feedback-stopped source={}", LogValues.of(follower.description()));
      follower = null;
    }
  }

  @Override
  public void close() {
    starter.execute(this::stopFollower);
    starter.shutdown();
    try {
      if (!starter.awaitTermination(10, TimeUnit.SECONDS)) {
        starter.shutdownNow();
      }
    } catch (InterruptedException e) {
      starter.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
