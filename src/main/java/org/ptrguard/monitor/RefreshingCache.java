package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one value per key fresh in the background so that readers never wait on DNS once warm.
 *
 * <p>A value lives for its own TTL (the records' smallest TTL, clamped to [min, max]) and is
 * re-loaded shortly before that. A load that fails temporarily (DNS trouble) does not replace the
 * last definitive value until that value is older than {@code staleMax}: receivers judge us on the
 * records as they were, and a resolver hiccup must neither open nor close the gate. Failed loads are
 * retried sooner than a normal refresh.
 *
 * @param <K> what is checked (an identity)
 * @param <V> the check result (an identity report)
 */
public final class RefreshingCache<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(RefreshingCache.class);

  /** How the cache judges values; supplied by the owner so the cache knows nothing of reports. */
  public interface ValuePolicy<V> {
    /** How long the value stays valid (before clamping). */
    Duration ttl(V value);

    /** False for a result that only says "could not find out" (temporary DNS failure). */
    boolean definitive(V value);

    /**
     * True for a value to load again just after its TTL ends rather than shortly before: its TTL is
     * the time a resolver keeps an old copy, and loading earlier would only see that copy again.
     */
    default boolean reloadAfterExpiry(V value) {
      return false;
    }
  }

  /** How long after such an expiry the load runs: resolvers count TTLs down in whole seconds. */
  static final Duration AFTER_EXPIRY = Duration.ofSeconds(1);

  /** Called when a key's served value changes (first value included); never on the caller's path. */
  public interface ChangeListener<K, V> {
    void changed(K key, Optional<V> before, V after);
  }

  /** What a reader gets: the value, when it was loaded, and whether it is a stale stand-in. */
  public record Entry<V>(V value, Instant loadedAt, boolean stale) {}

  public record Timing(Duration min, Duration max, Duration staleMax, Duration retry) {
    public Timing {
      if (min.compareTo(max) > 0) {
        throw new IllegalArgumentException("min > max");
      }
    }
  }

  private final Function<K, CompletionStage<V>> loader;
  private final ValuePolicy<V> policy;
  private final ChangeListener<K, V> listener;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private volatile Timing timing;
  private final Map<K, Slot<V>> slots = new ConcurrentHashMap<>();

  /** Per-key state. Mutated only under its own monitor; {@code served} is read lock-free. */
  private static final class Slot<V> {
    volatile Entry<V> served;
    Entry<V> lastDefinitive;
    CompletableFuture<Entry<V>> inFlight;
    ScheduledFuture<?> next;
    boolean removed;
  }

  public RefreshingCache(Function<K, CompletionStage<V>> loader, ValuePolicy<V> policy,
      ChangeListener<K, V> listener, Timing timing, ScheduledExecutorService scheduler, Clock clock) {
    this.loader = loader;
    this.policy = policy;
    this.listener = listener;
    this.timing = timing;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  /** The current value without waiting, if any load has completed for this key. */
  public Optional<Entry<V>> peek(K key) {
    Slot<V> slot = slots.get(key);
    return slot == null ? Optional.empty() : Optional.ofNullable(slot.served);
  }

  /**
   * The current value at once when warm; when cold, starts (or joins) the first load. The returned
   * stage never fails: a loader failure surfaces as a non-definitive value from the loader itself.
   */
  public CompletionStage<Entry<V>> get(K key) {
    Slot<V> slot = slots.computeIfAbsent(key, k -> new Slot<>());
    Entry<V> served = slot.served;
    if (served != null) {
      return CompletableFuture.completedFuture(served);
    }
    return load(key, slot, true);
  }

  /** Loads the key now (even if warm), e.g. at start-up or after the identity changed. */
  public CompletionStage<Entry<V>> refresh(K key) {
    return load(key, slots.computeIfAbsent(key, k -> new Slot<>()), false);
  }

  /** When the key's next load is due: now while one runs, empty when none is scheduled (or unknown key). */
  public Optional<Instant> nextLoad(K key) {
    Slot<V> slot = slots.get(key);
    if (slot == null) {
      return Optional.empty();
    }
    synchronized (slot) {
      if (slot.inFlight != null) {
        return Optional.of(clock.instant());
      }
      return slot.next == null || slot.next.isDone() ? Optional.empty()
          : Optional.of(clock.instant().plusMillis(Math.max(0, slot.next.getDelay(TimeUnit.MILLISECONDS))));
    }
  }

  /**
   * Loads the key again unless its value was loaded at or after {@code since} (a recheck asked for
   * after a change outside: a load that already saw it is not repeated). Readers keep the old value
   * until the new one is there.
   */
  public CompletionStage<Entry<V>> refreshUnlessSince(K key, Instant since) {
    Slot<V> slot = slots.computeIfAbsent(key, k -> new Slot<>());
    Entry<V> served = slot.served;
    if (served != null && !served.stale() && !served.loadedAt().isBefore(since)) {
      return CompletableFuture.completedFuture(served);
    }
    return load(key, slot, false);
  }

  /** Forgets keys no longer configured; their scheduled refreshes are cancelled. */
  public void retainOnly(java.util.Collection<K> keys) {
    for (K key : java.util.List.copyOf(slots.keySet())) {
      if (!keys.contains(key)) {
        Slot<V> slot = slots.remove(key);
        synchronized (slot) {
          slot.removed = true;
          if (slot.next != null) {
            slot.next.cancel(false);
          }
        }
      }
    }
  }

  /**
   * New timing (a reload). Refreshes already scheduled further out than the new timing allows are
   * brought forward: a warm key must not keep an hour-long refresh after refresh.max became 1s.
   */
  public void setTiming(Timing timing) {
    Timing before = this.timing;
    this.timing = timing;
    if (timing.equals(before)) {
      return;
    }
    Instant now = clock.instant();
    slots.forEach((key, slot) -> {
      synchronized (slot) {
        Entry<V> served = slot.served;
        if (served == null || slot.next == null || slot.inFlight != null) {
          return;
        }
        Duration due = policy.definitive(served.value()) && !served.stale() ? refreshDelay(served.value()) : timing.retry();
        long left = Math.max(0, Duration.between(now, served.loadedAt().plus(due)).toMillis());
        if (slot.next.getDelay(TimeUnit.MILLISECONDS) > left) {
          schedule(key, slot, Duration.ofMillis(left));
        }
      }
    });
  }

  /**
   * Starts a load, or joins the one running. {@code onlyIfCold}: a cold read's load, which a value
   * served meanwhile (the first load settled after the reader looked) makes unnecessary.
   */
  private CompletionStage<Entry<V>> load(K key, Slot<V> slot, boolean onlyIfCold) {
    CompletableFuture<Entry<V>> mine;
    synchronized (slot) {
      if (slot.inFlight != null) {
        return slot.inFlight;
      }
      if (onlyIfCold && slot.served != null) {
        return CompletableFuture.completedFuture(slot.served);
      }
      mine = new CompletableFuture<>();
      slot.inFlight = mine;
    }
    CompletionStage<V> stage;
    try {
      stage = loader.apply(key);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    stage.whenComplete((value, error) -> {
      Entry<V> entry = error == null ? settle(key, slot, value, mine) : failed(key, slot, error, mine);
      mine.complete(entry);
    });
    return mine;
  }

  /**
   * Ends the load {@code mine} in the same locked step that publishes its outcome (and schedules
   * the next one): a reader between the two would find neither a value nor a load and start a
   * second check, and a refresh scheduled here would find this load still running.
   */
  private static <V> void finish(Slot<V> slot, CompletableFuture<Entry<V>> mine) {
    if (slot.inFlight == mine) {
      slot.inFlight = null;
    }
  }

  private Entry<V> failed(K key, Slot<V> slot, Throwable error, CompletableFuture<Entry<V>> mine) {
    // The loader is expected to turn DNS trouble into a value; an exception here is a bug, but the
    // cache must survive it: keep serving what we had and try again soon.
    LOG.warn("event=check-error key={} error={}", LogValues.of(key), LogValues.of(error));
    synchronized (slot) {
      finish(slot, mine);
      schedule(key, slot, timing.retry());
      return slot.served;
    }
  }

  private Entry<V> settle(K key, Slot<V> slot, V value, CompletableFuture<Entry<V>> mine) {
    Instant now = clock.instant();
    Entry<V> fresh = new Entry<>(value, now, false);
    Entry<V> before;
    Entry<V> after;
    synchronized (slot) {
      finish(slot, mine);
      before = slot.served;
      if (policy.definitive(value)) {
        slot.lastDefinitive = fresh;
        after = fresh;
        schedule(key, slot, refreshDelay(value));
      } else {
        Entry<V> last = slot.lastDefinitive;
        boolean usable = last != null && Duration.between(last.loadedAt(), now).compareTo(validFor(last.value()).plus(timing.staleMax())) <= 0;
        after = usable ? new Entry<>(last.value(), last.loadedAt(), true) : fresh;
        schedule(key, slot, timing.retry());
      }
      if (slot.removed) {
        return after;
      }
      slot.served = after;
    }
    if (before == null || !before.value().equals(after.value()) || before.stale() != after.stale()) {
      try {
        listener.changed(key, Optional.ofNullable(before).map(Entry::value), after.value());
      } catch (RuntimeException e) {
        LOG.warn("event=listener-error key={} error={}", LogValues.of(key), LogValues.of(e));
      }
    }
    return after;
  }

  private Duration validFor(V value) {
    Duration ttl = policy.ttl(value);
    Timing t = timing;
    if (ttl.compareTo(t.min()) < 0) {
      return t.min();
    }
    return ttl.compareTo(t.max()) > 0 ? t.max() : ttl;
  }

  /**
   * Refresh a little before expiry, so readers never see an expired value while a load runs; a
   * value waiting for a cache to expire ({@link ValuePolicy#reloadAfterExpiry}) just after it.
   */
  private Duration refreshDelay(V value) {
    Duration valid = validFor(value);
    if (policy.reloadAfterExpiry(value)) {
      return valid.plus(AFTER_EXPIRY);
    }
    Duration lead = valid.dividedBy(10);
    if (lead.compareTo(Duration.ofSeconds(30)) > 0) {
      lead = Duration.ofSeconds(30);
    }
    return valid.minus(lead);
  }

  private void schedule(K key, Slot<V> slot, Duration delay) {
    if (slot.removed) {
      return;
    }
    if (slot.next != null) {
      slot.next.cancel(false);
    }
    slot.next = scheduler.schedule(() -> load(key, slot, false), Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
  }
}
