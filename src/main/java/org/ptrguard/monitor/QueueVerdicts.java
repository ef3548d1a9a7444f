package org.ptrguard.monitor;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.identity.Verdict;

/**
 * The verdicts ptrguard gave recent messages, by Postfix's queue ID (macro {@code i}, known at end of
 * message), so that a receiver's later rejection of a message can be set against what ptrguard said
 * about it. Bounded: the oldest messages are forgotten first (a rejection usually comes within
 * minutes; a deferred message retried hours later falls back to the identity's current verdict).
 */
public final class QueueVerdicts {
  /** Enough for a day of a busy small server's messages that reached end of message. */
  public static final int DEFAULT_CAPACITY = 20_000;

  /** A message's verdict, and per recipient where recipients were decided one by one (route mode). */
  private record Message(Verdict verdict, Map<String, Verdict> recipients) {}

  private final int capacity;
  private final LinkedHashMap<String, Message> messages;

  public QueueVerdicts() {
    this(DEFAULT_CAPACITY);
  }

  public QueueVerdicts(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.capacity = capacity;
    this.messages = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Message> eldest) {
        return size() > QueueVerdicts.this.capacity;
      }
    };
  }

  /** Remembers one message's verdict; a blank queue ID (Postfix sent no {@code i}) is ignored. */
  public void remember(String queueId, Verdict verdict) {
    remember(queueId, verdict, Map.of());
  }

  /** As above, with a verdict per recipient address (angle brackets and case do not matter). */
  public void remember(String queueId, Verdict verdict, Map<String, Verdict> recipients) {
    if (queueId == null || queueId.isBlank()) {
      return;
    }
    Map<String, Verdict> byRcpt = new HashMap<>();
    recipients.forEach((r, v) -> byRcpt.put(normal(r), v));
    synchronized (messages) {
      messages.put(queueId.strip(), new Message(verdict, Map.copyOf(byRcpt)));
    }
  }

  /** The verdict for that recipient of that message, else the message's, else empty. */
  public Optional<Verdict> verdict(String queueId, String recipient) {
    Message m;
    synchronized (messages) {
      m = messages.get(queueId);
    }
    if (m == null) {
      return Optional.empty();
    }
    return Optional.of(m.recipients().getOrDefault(normal(recipient), m.verdict()));
  }

  public int size() {
    synchronized (messages) {
      return messages.size();
    }
  }

  private static String normal(String recipient) {
    String r = recipient.strip();
    if (r.startsWith("<") && r.endsWith(">") && r.length() >= 2) {
      r = r.substring(1, r.length() - 1);
    }
    return r.toLowerCase(Locale.ROOT);
  }
}
