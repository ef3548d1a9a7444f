package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.MailExchangers;
import org.ptrguard.ops.LogValues;
import org.ptrguard.postfix.Route.Family;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which address families a recipient domain's mail exchangers have (MX hosts' A and AAAA, or the
 * domain's own addresses when it has no MX), looked up in the background and kept by TTL. The SMTP
 * path only peeks: a domain not known yet starts a lookup and answers "not known", so the caller
 * decides as if every family could be used, without waiting.
 */
public final class DestinationFamilies {
  private static final Logger LOG = LoggerFactory.getLogger(DestinationFamilies.class);
  /** Enough for the recipient domains of a busy host; beyond it old entries are dropped. */
  static final int MAX_DOMAINS = 10_000;
  /** MX hosts looked at per domain (receivers publish a handful). */
  private static final int MAX_HOSTS = 5;
  private static final Duration MIN_TTL = Duration.ofSeconds(30);
  private static final Duration MAX_TTL = Duration.ofHours(1);
  /** A lookup that failed is not retried for this long (the domain stays "not known" meanwhile). */
  private static final Duration FAILED_TTL = Duration.ofSeconds(30);

  private record Known(Optional<Set<Family>> families, Instant expires) {}

  private final MailExchangers exchangers;
  private final Executor executor;
  private final Clock clock;
  private final Map<String, Known> known = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger lookups = new AtomicInteger();

  public DestinationFamilies(DnsClient dns, Executor executor, Clock clock) {
    this.exchangers = new MailExchangers(dns, MAX_HOSTS);
    this.executor = executor;
    this.clock = clock;
  }

  /**
   * The families of {@code domain}'s mail exchangers if a lookup has already found them and their
   * TTL has not passed; otherwise empty, and a lookup is started in the background. Never blocks.
   */
  public Optional<Set<Family>> peek(String domain) {
    String key = normalize(domain);
    if (key.isEmpty()) {
      return Optional.empty();
    }
    Known k = known.get(key);
    if (k != null && clock.instant().isBefore(k.expires())) {
      return k.families();
    }
    startLookup(key);
    return Optional.empty();
  }

  /**
   * Like {@link #peek}, as a stage: completed at once when the families are known, otherwise when
   * the background lookup this starts (or joins) ends; empty if it failed. Never blocks.
   */
  public CompletionStage<Optional<Set<Family>>> learn(String domain) {
    String key = normalize(domain);
    Optional<Set<Family>> now = peek(domain); // starts the lookup when needed
    if (now.isPresent() || key.isEmpty()) {
      return CompletableFuture.completedFuture(now);
    }
    CompletableFuture<Void> running = inFlight.get(key);
    // null: the lookup ended in between (or could not start)
    return running == null ? CompletableFuture.completedFuture(fresh(key)) : running.thenApply(v -> fresh(key));
  }

  private Optional<Set<Family>> fresh(String key) {
    Known k = known.get(key);
    return k != null && clock.instant().isBefore(k.expires()) ? k.families() : Optional.empty();
  }

  /** Lookups started so far (for tests and metrics). */
  public int lookupsStarted() {
    return lookups.get();
  }

  private void startLookup(String domain) {
    if (inFlight.containsKey(domain)) {
      return;
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    if (inFlight.putIfAbsent(domain, mine) != null) {
      return;
    }
    lookups.incrementAndGet();
    try {
      executor.execute(() -> lookup(domain).whenComplete((result, error) -> {
        Known k = error == null ? result : failed();
        if (error != null) {
          LOG.debug("event=mx-lookup-error domain={} error={}", LogValues.of(domain), LogValues.of(error));
        }
        if (known.size() >= MAX_DOMAINS) {
          known.clear(); // crude but bounded: the next sessions re-learn what they need
        }
        known.put(domain, k);
        inFlight.remove(domain);
        mine.complete(null);
      }));
    } catch (RuntimeException e) {
      inFlight.remove(domain);
      mine.complete(null);
    }
  }

  private Known failed() {
    return new Known(Optional.empty(), clock.instant().plus(FAILED_TTL));
  }

  private CompletableFuture<Known> lookup(String domain) {
    return exchangers.resolve(domain, true).thenApply(d -> {
      if (d.temporary()) {
        // A family missing only because a lookup failed is not known to be missing.
        return failed();
      }
      Set<Family> families = EnumSet.noneOf(Family.class);
      d.addresses().forEach(a -> families.add(Family.of(a)));
      return known(families, d.ttl());
    });
  }

  private Known known(Set<Family> families, long ttlSeconds) {
    Duration ttl = Duration.ofSeconds(Math.max(0, ttlSeconds));
    ttl = ttl.compareTo(MIN_TTL) < 0 ? MIN_TTL : ttl.compareTo(MAX_TTL) > 0 ? MAX_TTL : ttl;
    return new Known(Optional.of(Set.copyOf(families)), clock.instant().plus(ttl));
  }

  static String normalize(String domain) {
    String d = domain.strip().toLowerCase(Locale.ROOT);
    while (d.endsWith(".")) {
      d = d.substring(0, d.length() - 1);
    }
    // Only plain host names are looked up: a recipient domain from the network must not become a
    // query for anything odd (address literals, empty labels, overlong names).
    if (d.isEmpty() || d.length() > 253 || !d.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
      return "";
    }
    return d;
  }
}
