package org.ptrguard.monitor;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.postfix.DeliveryLogLine;
import org.ptrguard.postfix.DeliveryLogLine.Event;
import org.ptrguard.postfix.DeliveryLogLine.Status;
import org.ptrguard.postfix.DeliveryLogListener;
import org.ptrguard.postfix.ReceiverReplies;

/**
 * The follower's listener: picks the receiver rejections about reverse DNS or HELO out of Postfix's
 * smtp client lines and hands each to {@link ReceiverFeedback} once. A receiver that refuses at the
 * greeting is logged by Postfix twice ({@code refused to talk to me}, then the status line with the
 * same text); a rejection at RCPT counts once per recipient.
 */
public final class DeliveryLogFeedback implements DeliveryLogListener {
  private static final int REMEMBERED = 4096;

  private final ReceiverReplies replies;
  private final ReceiverFeedback feedback;
  private final Clock clock;
  private final Map<String, Boolean> seen = new LinkedHashMap<>(64, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  };

  public DeliveryLogFeedback(ReceiverReplies replies, ReceiverFeedback feedback, Clock clock) {
    this.replies = replies;
    this.feedback = feedback;
    this.clock = clock;
  }

  @Override
  public void onLine(DeliveryLogLine line) {
    rejection(line).ifPresent(feedback::rejected);
  }

  /** The rejection this line reports, if it is one not reported yet. */
  Optional<ReceiverRejection> rejection(DeliveryLogLine line) {
    if (line.event() == Event.DELIVERY && line.status() != Status.BOUNCED && line.status() != Status.DEFERRED
        && line.status() != Status.EXPIRED) {
      return Optional.empty();
    }
    Optional<ReceiverReplies.Match> match = replies.classify(line);
    if (match.isEmpty() || line.reply().isEmpty()) {
      return Optional.empty();
    }
    DeliveryLogLine.Reply reply = line.reply().get();
    String queueId = line.queueId().orElse("-");
    String receiverHost = line.receiver().map(DeliveryLogLine.Receiver::host).orElse("unknown");
    boolean perRecipient = reply.inReplyTo().map(c -> c.toUpperCase(Locale.ROOT).startsWith("RCPT")).orElse(false);
    String key = queueId + '|' + line.receiver().map(DeliveryLogLine.Receiver::display).orElse("-") + '|' + reply.text()
        + (perRecipient ? '|' + line.recipient().orElse("") : "");
    synchronized (seen) {
      if (seen.put(key, Boolean.TRUE) != null) {
        return Optional.empty();
      }
    }
    String status = line.event() == Event.DELIVERY ? line.status().word() : line.event().name().toLowerCase(Locale.ROOT)
        .replace('_', '-');
    return Optional.of(new ReceiverRejection(clock.instant(), line.service(), queueId, line.recipient().orElse("-"),
        receiverHost, line.receiver().flatMap(DeliveryLogLine.Receiver::address), status,
        reply.code() == 0 ? "-" : Integer.toString(reply.code()), line.statusCode().orElse("-"),
        match.get().replyClass().word(), match.get().entry().name(), reply.text()));
  }
}
