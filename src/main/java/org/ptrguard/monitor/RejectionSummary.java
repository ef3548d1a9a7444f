package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Receiver rejections of the last 24 hours per identity, kept by the daemon as it reads them, so
 * {@code check}, {@code routes} and {@code status} can show them by asking the daemon instead of
 * reading Postfix's log a second time. Bounded in identities and in remembered times per identity.
 */
public final class RejectionSummary {
  public static final Duration WINDOW = Duration.ofHours(24);
  static final int MAX_IDENTITIES = 256;
  static final int MAX_TIMES = 10_000;

  /**
   * One identity's rejections in the window.
   *
   * @param count rejections in the last 24 hours (at most {@value #MAX_TIMES} are counted)
   * @param lastReceiver {@code host[addr]} of the latest
   * @param lastText its reply, {@code code dsn text}
   */
  public record IdentityRejections(String identity, int count, Instant lastAt, String lastReceiver, String lastClass,
      String lastText) {}

  private static final class Tally {
    final Deque<Instant> times = new ArrayDeque<>();
    Instant lastAt;
    String lastReceiver;
    String lastClass;
    String lastText;
  }

  private final Clock clock;
  private final Map<String, Tally> byIdentity = new LinkedHashMap<>();

  public RejectionSummary(Clock clock) {
    this.clock = clock;
  }

  public synchronized void add(String identity, String receiver, String replyClass, String text) {
    Instant now = clock.instant();
    prune(now);
    Tally t = byIdentity.get(identity);
    if (t == null) {
      if (byIdentity.size() >= MAX_IDENTITIES) {
        return; // identities come from configuration and master.cf: this many means something is wrong
      }
      t = new Tally();
      byIdentity.put(identity, t);
    }
    if (t.times.size() >= MAX_TIMES) {
      t.times.removeFirst();
    }
    t.times.addLast(now);
    t.lastAt = now;
    t.lastReceiver = receiver;
    t.lastClass = replyClass;
    t.lastText = text;
  }

  /** Every identity with rejections in the last 24 hours, most recent first. */
  public synchronized List<IdentityRejections> last24h() {
    prune(clock.instant());
    List<IdentityRejections> out = new ArrayList<>();
    byIdentity.forEach((id, t) -> out.add(new IdentityRejections(id, t.times.size(), t.lastAt, t.lastReceiver,
        t.lastClass, t.lastText)));
    out.sort(Comparator.comparing(IdentityRejections::lastAt).reversed());
    return out;
  }

  private void prune(Instant now) {
    Instant from = now.minus(WINDOW);
    byIdentity.values().forEach(t -> {
      while (!t.times.isEmpty() && t.times.peekFirst().isBefore(from)) {
        t.times.removeFirst();
      }
    });
    byIdentity.values().removeIf(t -> t.times.isEmpty());
  }
}
