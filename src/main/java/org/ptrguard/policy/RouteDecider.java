package org.ptrguard.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.monitor.RouteSnapshot;
import org.ptrguard.monitor.RouteStatus;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.monitor.RouteStatusSource;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-recipient decisions from the route Postfix resolved ({@code {rcpt_mailer}}, {@code {rcpt_host}})
 * and that route's cached verdict. Pure reads of memory: no lookup, no waiting.
 */
final class RouteDecider {
  private static final Logger LOG = LoggerFactory.getLogger(RouteDecider.class);
  /** Unknown transports are logged once each; beyond this many distinct ones, no more lines. */
  private static final int MAX_LOGGED_UNKNOWN = 100;

  /** One recipient's route and the decision on it; {@code healthy} recipients get no line of their own. */
  record RecipientDecision(String recipient, RouteStatus route, Decision decision, boolean healthy) {}

  /** Whether some route is broken, computed once per (snapshot, settings) pair. */
  private record Health(RouteSnapshot snapshot, Settings settings, boolean allHealthy) {}

  private final RouteStatusSource source;
  private volatile Health health = new Health(null, null, true);
  private final Map<String, Boolean> loggedUnknown = new ConcurrentHashMap<>();
  private final Map<String, Boolean> loggedFallback = new ConcurrentHashMap<>();

  RouteDecider(RouteStatusSource source) {
    this.source = source;
  }

  /** True when a route model is in use (then sessions are decided per recipient when needed). */
  boolean active() {
    return source.snapshot().active();
  }

  /** True when a route model is in use and some direct route is not healthy under these settings. */
  boolean needsRecipients(Settings settings) {
    RouteSnapshot snapshot = source.snapshot();
    return snapshot.active() && !allHealthy(snapshot, settings);
  }

  /**
   * True when no route that reaches receivers directly would be blocked: then the session can end
   * at HELO as it always did, and no recipient needs looking at.
   */
  boolean allHealthy(Settings settings) {
    return allHealthy(source.snapshot(), settings);
  }

  private boolean allHealthy(RouteSnapshot snapshot, Settings settings) {
    Health h = health;
    if (h.snapshot() == snapshot && h.settings() == settings) {
      return h.allHealthy();
    }
    boolean all = snapshot.directStatuses().stream().noneMatch(s -> DecisionMaker.blocks(settings, s.verdict()));
    health = new Health(snapshot, settings, all);
    return all;
  }

  RecipientDecision decide(Settings settings, String recipient, Optional<String> mailer, Optional<String> nexthop) {
    String domain = IdentitySelector.senderDomain(recipient).orElse("");
    RouteStatus route = source.snapshot().resolve(mailer, nexthop, domain);
    Optional<IdentityStatus> status = switch (route.reach()) {
      case LOCAL, RELAYED -> Optional.empty();
      case UNKNOWN -> Optional.of(unknown(route));
      case DIRECT -> blocking(settings, route, domain);
    };
    if (status.isEmpty()) {
      if (route.reach() == Reach.DIRECT) {
        source.recipientSeen(route, recipient, domain, false);
      }
      return new RecipientDecision(recipient, route, null, true);
    }
    Decision d = DecisionMaker.decide(settings, status.get());
    if (route.reach() == Reach.DIRECT) {
      source.recipientSeen(route, recipient, domain, d.action() == Decision.Action.TEMPFAIL);
    }
    boolean healthy = route.reach() != Reach.UNKNOWN && !DecisionMaker.blocks(settings, status.get().verdict());
    return new RecipientDecision(recipient, route, d, healthy);
  }

  /**
   * The status that blocks this recipient, if any. A broken family is ignored only when the
   * recipient domain's mail exchangers are already known not to have it; not known yet means
   * "decide as if Postfix may use it" (Postfix picks a family per connection).
   */
  private Optional<IdentityStatus> blocking(Settings settings, RouteStatus route, String domain) {
    List<IdentityStatus> broken = new ArrayList<>(2);
    route.ipv4().filter(s -> DecisionMaker.blocks(settings, s.verdict())).ifPresent(broken::add);
    route.ipv6().filter(s -> DecisionMaker.blocks(settings, s.verdict())).ifPresent(broken::add);
    if (route.ipv4().isEmpty() && route.ipv6().isEmpty()) {
      return Optional.of(IdentityStatus.unknown(route.route(), "-", "-",
          "route " + route.route() + ": no outbound address known for this service"));
    }
    if (broken.isEmpty()) {
      return Optional.empty();
    }
    Optional<Set<Family>> mx = source.destinationFamilies(domain);
    if (mx.isPresent()) {
      broken.removeIf(s -> !mx.get().contains(familyOf(s)));
    }
    preferred(settings, route, mx).ifPresent(first -> {
      if (broken.removeIf(s -> familyOf(s) != first)) {
        logFallbackOnly(route, first);
      }
    });
    // A proven failure is the better reason to give than "could not find out".
    return broken.stream().filter(s -> s.verdict() == Verdict.FAIL).findFirst().or(() -> broken.stream().findFirst());
  }

  private static Family familyOf(IdentityStatus s) {
    return s.ip().contains(":") ? Family.IPV6 : Family.IPV4;
  }

  /**
   * The family Postfix tries first for this recipient when that makes the other one a fallback only:
   * the service sets {@code smtp_address_preference} to ipv4 or ipv6, its identity in that family is
   * healthy, and the recipient domain's mail exchangers have that family. Postfix then reaches the
   * other family only when delivery over the preferred one fails (per MX preference level), and a
   * broken identity there does not hold the recipient. Whether the exchangers have the family comes
   * from the background MX lookup; not known yet counts as "has IPv4" (nearly every domain does)
   * and "has no IPv6" (most do not), so an unknown domain never escapes a broken IPv4 identity.
   */
  static Optional<Family> preferred(Settings settings, RouteStatus route, Optional<Set<Family>> mx) {
    Optional<Family> preference = Route.preferredFamily(route.addressPreference());
    if (preference.isEmpty()) {
      return Optional.empty();
    }
    Family first = preference.get();
    Optional<IdentityStatus> status = first == Family.IPV4 ? route.ipv4() : route.ipv6();
    boolean healthy = status.isPresent() && !DecisionMaker.blocks(settings, status.get().verdict());
    boolean reachable = mx.map(f -> f.contains(first)).orElse(first == Family.IPV4);
    return healthy && reachable ? Optional.of(first) : Optional.empty();
  }

  /** Says once per route and family why a broken identity is not holding its recipients. */
  private void logFallbackOnly(RouteStatus route, Family preferred) {
    Family other = preferred == Family.IPV4 ? Family.IPV6 : Family.IPV4;
    String key = route.route() + '/' + other.word();
    if (loggedFallback.size() < MAX_LOGGED_UNKNOWN && loggedFallback.putIfAbsent(key, Boolean.TRUE) == null) {
      LOG.warn("event=route-fallback-family route={} family={} preference={} note={}", LogValues.of(route.route()),
          other.word(), preferred.word(), LogValues.of(Route.fallbackNote(route.route(), preferred)));
    }
  }

  private IdentityStatus unknown(RouteStatus route) {
    if (loggedUnknown.size() < MAX_LOGGED_UNKNOWN && loggedUnknown.putIfAbsent(route.route(), Boolean.TRUE) == null) {
      LOG.warn("event=route-unknown mailer={} nexthop={} reason={} note=\"on-dns-error decides for such recipients\"",
          LogValues.of(route.route()), LogValues.of(route.nexthop()), LogValues.of(route.note()));
    }
    return IdentityStatus.unknown(route.route(), "-", "-", "route " + route.route() + ": " + route.note());
  }
}
