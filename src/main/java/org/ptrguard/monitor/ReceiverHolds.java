package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.LogValues;
import org.ptrguard.postfix.Route.Family;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code feedback.enforce}: an identity a receiver rejected for its reverse DNS or HELO is served as
 * {@code fail} (finding {@code receiver.rejected}) for {@code feedback.hold-for}, even when its DNS
 * looks right from here, so the guard stops the next messages on that route instead of letting them
 * bounce too. A hold ends early when the identity's DNS answers change (its PTR names, finding codes
 * or verdict differ from when it was placed): the admin has changed something, and the next message
 * is the test.
 *
 * <p>Holds are laid over the statuses the guard reads ({@link #over(IdentityStatusSource)} for
 * per-session decisions, matched by identity name; {@link #over(RouteStatusSource)} for route mode,
 * matched by source address, which is what receivers judge). Reads are memory only.
 */
public final class ReceiverHolds {
  private static final Logger LOG = LoggerFactory.getLogger("org.ptrguard.feedback");
  public static final String CODE = "receiver.rejected";

  /**
   * One hold.
   *
   * @param identity the identity name (configured name, or the route's service in route mode)
   * @param ip the source address receivers saw; "-" when not known (then matched by name only)
   * @param fingerprint the identity's DNS picture when the hold was placed (PTR names, codes, verdict)
   */
  public record Hold(String identity, String ip, Optional<Family> family, String receiver, String reply,
      Instant since, Instant until, String fingerprint) {}

  private final Clock clock;
  private final Map<String, Hold> holds = new ConcurrentHashMap<>();
  /** Bumped on every change, so derived route snapshots know when to be rebuilt. */
  private final AtomicLong version = new AtomicLong();

  public ReceiverHolds(Clock clock) {
    this.clock = clock;
  }

  /**
   * Holds {@code status}'s identity (its address, so its family) until {@code holdFor} from now.
   *
   * @param status the identity's status as the guard had it, without any hold
   */
  public Hold hold(IdentityStatus status, String identity, Optional<Family> family, String receiver, String reply,
      Duration holdFor) {
    Instant now = clock.instant();
    Hold h = new Hold(identity, status.ip(), family, receiver, reply, now, now.plus(holdFor), fingerprint(status));
    holds.put(key(h), h);
    version.incrementAndGet();
    LOG.warn("event=receiver-hold identity={} ip={} family={} until={} receiver={} reply={}", LogValues.of(identity),
        LogValues.of(h.ip()), family.map(Family::word).orElse("-"),
        h.until().truncatedTo(ChronoUnit.SECONDS), LogValues.of(receiver), LogValues.of(reply));
    return h;
  }

  /** Drops every hold (feedback.enforce switched off by a reload). */
  public void clear(String why) {
    for (Hold h : List.copyOf(holds.values())) {
      release(h, why);
    }
  }

  /** The holds in force now (expired ones are released on the way). */
  public List<Hold> active() {
    expire();
    return List.copyOf(holds.values());
  }

  long version() {
    expire();
    return version.get();
  }

  private void expire() {
    Instant now = clock.instant();
    for (Hold h : holds.values()) {
      if (!now.isBefore(h.until())) {
        release(h, "expired");
      }
    }
  }

  private void release(Hold h, String why) {
    if (holds.remove(key(h), h)) {
      version.incrementAndGet();
      LOG.info("event=receiver-hold-cleared identity={} ip={} reason={}", LogValues.of(h.identity()), LogValues.of(h.ip()),
          why);
    }
  }

  /** The status with the hold of its identity (by name) or address laid over it. */
  IdentityStatus applyByName(IdentityStatus s) {
    if (holds.isEmpty()) {
      return s;
    }
    for (Hold h : holds.values()) {
      if (h.identity().equals(s.identity()) || h.ip().equals(s.ip())) {
        return apply(h, s);
      }
    }
    return s;
  }

  /** The status with the hold of its source address laid over it (route mode). */
  IdentityStatus applyByAddress(IdentityStatus s) {
    if (holds.isEmpty()) {
      return s;
    }
    Hold h = holds.get(s.ip());
    return h == null ? s : apply(h, s);
  }

  private IdentityStatus apply(Hold h, IdentityStatus s) {
    if (!clock.instant().isBefore(h.until())) {
      release(h, "expired");
      return s;
    }
    // A temporary DNS failure says nothing about whether the admin fixed something.
    if (s.verdict() != Verdict.UNKNOWN && !fingerprint(s).equals(h.fingerprint())) {
      release(h, "dns-changed");
      return s;
    }
    List<String> codes = new ArrayList<>();
    codes.add(CODE);
    codes.addAll(s.codes());
    String reason = "receiver " + h.receiver() + " rejected mail from " + s.ip() + ": " + h.reply();
    return new IdentityStatus(s.identity(), s.ip(), s.ptr(), s.ehlo(), Verdict.FAIL, codes, reason, s.stale());
  }

  private static String key(Hold h) {
    return h.ip().equals("-") ? "identity:" + h.identity() : h.ip();
  }

  static String fingerprint(IdentityStatus s) {
    return s.verdict().word() + "|" + String.join(",", s.ptr()) + "|" + String.join(",", s.codes());
  }

  /** The identity statuses the guard reads in per-session mode, with holds laid over. */
  public IdentityStatusSource over(IdentityStatusSource inner) {
    return new IdentityStatusSource() {
      @Override
      public Optional<IdentityStatus> peek(String identity) {
        return inner.peek(identity).map(ReceiverHolds.this::applyByName);
      }

      @Override
      public CompletionStage<IdentityStatus> status(String identity) {
        return inner.status(identity).thenApply(ReceiverHolds.this::applyByName);
      }
    };
  }

  /**
   * The route statuses the guard reads in route mode, with holds laid over by source address. The
   * snapshot stays the same object until the routes or the holds change, as the guard's health cache
   * expects.
   */
  public RouteStatusSource over(RouteStatusSource inner) {
    return new RouteStatusSource() {
      private volatile Derived derived = new Derived(null, -1, null);

      @Override
      public RouteSnapshot snapshot() {
        RouteSnapshot base = inner.snapshot();
        long v = version();
        Derived d = derived;
        if (d.base() == base && d.version() == v) {
          return d.snapshot();
        }
        RouteSnapshot s = holds.isEmpty() ? base : base.withStatuses(ReceiverHolds.this::applyByAddress);
        derived = new Derived(base, v, s);
        return s;
      }

      @Override
      public Optional<Set<Family>> destinationFamilies(String domain) {
        return inner.destinationFamilies(domain);
      }

      @Override
      public void recipientSeen(RouteStatus route, String recipient, String recipientDomain, boolean refused) {
        inner.recipientSeen(route, recipient, recipientDomain, refused);
      }
    };
  }

  private record Derived(RouteSnapshot base, long version, RouteSnapshot snapshot) {}
}
