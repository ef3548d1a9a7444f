package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.ptrguard.postfix.Route.Family;

/**
 * Per route (master.cf service), the recipients of the last 24 hours and how many of them went to
 * domains whose mail exchangers have IPv6 addresses: how much mail a broken IPv6 identity affects.
 *
 * <p>Counting is for the SMTP path: a map look-up and a few additions under the route's own lock.
 * The domain's families come as a stage from {@link DestinationFamilies#learn}; one not known yet is
 * counted as "not known" now and moved to its family when the background lookup answers, into the
 * hour the recipient was seen. Memory is bounded: 24 hourly slots per route, at most
 * {@link #MAX_ROUTES} routes (services of master.cf, so far fewer in practice).
 */
public final class RecipientMxFamilies {
  public static final Duration WINDOW = Duration.ofHours(24);
  private static final int SLOTS = 24;
  private static final long SLOT_SECONDS = WINDOW.toSeconds() / SLOTS;
  /** Services beyond this many are not counted (a master.cf has a handful). */
  static final int MAX_ROUTES = 256;

  /**
   * One route's counts over the window.
   *
   * @param recipients recipients seen
   * @param toIpv6Mx of these, recipients whose domain's mail exchangers have an IPv6 address
   * @param notKnown of these, recipients whose domain's mail exchangers were not (yet) known
   * @param since when counting for this route began, or the start of the window if earlier
   */
  public record Share(String route, long recipients, long toIpv6Mx, long notKnown, Instant since) {
    /** Recipients to IPv6 mail exchangers as a share of all recipients, in whole percent (0 when none). */
    public long percent() {
      return recipients == 0 ? 0 : Math.round(100.0 * toIpv6Mx / recipients);
    }
  }

  /** Refused recipients remembered so that their retries are not counted again. */
  static final int MAX_REFUSED = 10_000;

  private final Clock clock;
  private final Map<String, Tally> routes = new ConcurrentHashMap<>();
  /** Route and recipient of tempfailed recipients, oldest first, with when they were first refused. */
  /** Set with the first refused recipient: until then, counting takes no lock but the route's. */
  private volatile boolean anyRefused;
  private final Map<String, Instant> refusedBefore = new java.util.LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
      return size() > MAX_REFUSED;
    }
  };

  public RecipientMxFamilies(Clock clock) {
    this.clock = clock;
  }

  /**
   * Counts one recipient of {@code route}. Never waits: when {@code families} has not completed, the
   * recipient is "not known" until it does (an empty result, or a failure, leaves it so).
   *
   * <p>A recipient refused with a tempfail comes back with every retry of the client: it counts
   * once, and its retries (the same route and address within the window, refused or accepted) do not,
   * as long as it is among the last {@link #MAX_REFUSED} refused recipients remembered.
   *
   * @param families asked only when the recipient is counted
   */
  public void count(String route, String recipient, boolean refused,
      Supplier<CompletionStage<Optional<Set<Family>>>> families) {
    if (anyRefused || refused) {
      String key = route + '\u0000' + recipient.toLowerCase(Locale.ROOT);
      Instant now = clock.instant();
      synchronized (refusedBefore) {
        Instant first = refusedBefore.get(key);
        if (first != null && first.isAfter(now.minus(WINDOW))) {
          if (!refused) {
            refusedBefore.remove(key); // the retry went through: the address in a later message counts again
          }
          return;
        }
        if (refused) {
          refusedBefore.put(key, now);
          anyRefused = true;
        } else if (first != null) {
          refusedBefore.remove(key); // refused longer ago than the window: counted again now
        }
      }
    }
    count(route, families.get());
  }

  /** Counts one recipient of {@code route} (see {@link #count(String, String, boolean, Supplier)}). */
  void count(String route, CompletionStage<Optional<Set<Family>>> families) {
    Tally t = routes.get(route);
    if (t == null) {
      if (routes.size() >= MAX_ROUTES) {
        return;
      }
      t = routes.computeIfAbsent(route, r -> new Tally(clock.instant()));
    }
    long slot = slot(clock.instant());
    t.seen(slot);
    Tally tally = t;
    families.whenComplete((f, e) -> {
      if (e == null && f != null && f.isPresent()) {
        tally.learnt(slot, f.get().contains(Family.IPV6));
      }
    });
  }

  /** Every route with recipients in the window, by name. */
  public List<Share> last24h() {
    Instant now = clock.instant();
    long current = slot(now);
    Instant windowStart = now.minus(WINDOW);
    List<Share> out = new ArrayList<>();
    routes.forEach((route, t) -> {
      Share s = t.share(route, current, windowStart);
      if (s.recipients() > 0) {
        out.add(s);
      }
    });
    out.sort(Comparator.comparing(Share::route));
    return out;
  }

  private static long slot(Instant at) {
    return Math.floorDiv(at.getEpochSecond(), SLOT_SECONDS);
  }

  /** One route's ring of hourly slots; each slot remembers which hour it holds and is reset when reused. */
  private static final class Tally {
    private final Instant first;
    private final long[] hour = new long[SLOTS];
    private final long[] seen = new long[SLOTS];
    private final long[] known = new long[SLOTS];
    private final long[] ipv6 = new long[SLOTS];

    Tally(Instant first) {
      this.first = first;
      java.util.Arrays.fill(hour, -1);
    }

    synchronized void seen(long slot) {
      int i = index(slot);
      if (hour[i] != slot) {
        hour[i] = slot;
        seen[i] = 0;
        known[i] = 0;
        ipv6[i] = 0;
      }
      seen[i]++;
    }

    /** A lookup answered for a recipient seen in {@code slot}; dropped if that hour has left the ring. */
    synchronized void learnt(long slot, boolean hasIpv6) {
      int i = index(slot);
      if (hour[i] == slot && known[i] < seen[i]) {
        known[i]++;
        if (hasIpv6) {
          ipv6[i]++;
        }
      }
    }

    synchronized Share share(String route, long current, Instant windowStart) {
      long s = 0;
      long k = 0;
      long v6 = 0;
      for (int i = 0; i < SLOTS; i++) {
        if (hour[i] > current - SLOTS && hour[i] <= current) {
          s += seen[i];
          k += known[i];
          v6 += ipv6[i];
        }
      }
      return new Share(route, s, v6, s - k, first.isAfter(windowStart) ? first : windowStart);
    }

    private static int index(long slot) {
      return (int) Math.floorMod(slot, (long) SLOTS);
    }
  }
}
