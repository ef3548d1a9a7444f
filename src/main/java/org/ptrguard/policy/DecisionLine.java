package org.ptrguard.policy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.monitor.RouteStatus;
import org.ptrguard.ops.LogValues;
import org.ptrguard.policy.Decision.Action;

/**
 * The one logfmt line an admin reads per decision, e.g.
 * {@code event=decision mode=enforce action=tempfail identity=default ip=203.0.113.10 ptr=... ehlo=...
 * verdict=fail codes=fcrdns.mismatch stage=helo client=10.0.0.5 daemon=submission}.
 * Every value goes through {@link LogValues}, because HELO names, addresses and macros come from the
 * network.
 */
public final class DecisionLine {
  private DecisionLine() {}

  /** The identity part of the last line, reused while sessions keep getting the same status object. */
  private record IdentityPart(IdentityStatus status, String text) {}

  private static volatile IdentityPart lastIdentityPart = new IdentityPart(null, "");

  public static String format(Mode mode, Decision d, String stage, Optional<String> client,
      Optional<String> daemon, long connectionId) {
    return format(mode, d, stage, client, daemon, Optional.empty(), connectionId);
  }

  /** As above, with {@code queue-id=} when Postfix sent its queue ID (macro {@code i}, from DATA on). */
  public static String format(Mode mode, Decision d, String stage, Optional<String> client,
      Optional<String> daemon, Optional<String> queueId, long connectionId) {
    StringBuilder line = new StringBuilder(256)
        .append("event=decision mode=").append(mode.name().toLowerCase(java.util.Locale.ROOT))
        .append(" action=").append(d.action().word());
    if (mode == Mode.AUDIT && d.wouldBlock() != Action.ACCEPT) {
      line.append(" would=").append(d.wouldBlock().word());
    }
    line.append(identityPart(d.status()))
        .append(" stage=").append(stage);
    queueId.ifPresent(q -> line.append(" queue-id=").append(LogValues.of(q)));
    line.append(" client=").append(LogValues.of(client.orElse("-")))
        .append(" daemon=").append(LogValues.of(daemon.orElse("-")))
        .append(" conn=").append(connectionId);
    return line.toString();
  }

  private static String identityPart(IdentityStatus s) {
    IdentityPart last = lastIdentityPart;
    if (last.status() == s) {
      return last.text();
    }
    StringBuilder part = new StringBuilder(160)
        .append(" identity=").append(LogValues.of(s.identity()))
        .append(" ip=").append(LogValues.of(s.ip()))
        .append(" ptr=").append(LogValues.of(s.ptr().isEmpty() ? "-" : String.join(",", s.ptr())))
        .append(" ehlo=").append(LogValues.of(s.ehlo()))
        .append(" verdict=").append(s.verdict().word())
        .append(" codes=").append(LogValues.of(s.codes().isEmpty() ? "-" : String.join(",", s.codes())));
    if (s.stale()) {
      part.append(" stale=yes");
    }
    String text = part.toString();
    lastIdentityPart = new IdentityPart(s, text);
    return text;
  }

  /**
   * Route mode, every direct route healthy: the session (or message) is let go at once (accept), or
   * one message gets the audit header (add-header, with its queue ID).
   */
  public static String routesHealthy(Mode mode, Action action, String stage, Optional<String> queueId,
      Optional<String> client, Optional<String> daemon, long connectionId) {
    StringBuilder line = new StringBuilder(160).append("event=decision mode=").append(word(mode))
        .append(" action=").append(action.word()).append(" routes=healthy stage=").append(stage);
    queueId.ifPresent(q -> line.append(" queue-id=").append(LogValues.of(q)));
    return line.append(tail(client, daemon, connectionId)).toString();
  }

  /** One recipient whose route is not healthy: which route, why, and what was done. */
  static String recipient(Mode mode, RouteDecider.RecipientDecision rd, Optional<String> client, Optional<String> daemon,
      long connectionId) {
    Decision d = rd.decision();
    StringBuilder line = new StringBuilder(320)
        .append("event=decision mode=").append(word(mode))
        .append(" action=").append(d.action().word());
    if (mode == Mode.AUDIT && d.wouldBlock() != Action.ACCEPT) {
      line.append(" would=").append(d.wouldBlock().word());
    }
    line.append(" rcpt=").append(LogValues.of(rd.recipient()))
        .append(" route=").append(LogValues.of(rd.route().route()))
        .append(" nexthop=").append(LogValues.of(rd.route().nexthop()))
        .append(" reach=").append(rd.route().reach().word())
        .append(identityPart(d.status()))
        .append(" reason=").append(LogValues.of(d.status().reason()))
        .append(" stage=rcpt");
    return line.append(tail(client, daemon, connectionId)).toString();
  }

  /** Debug: a recipient on a healthy route, with the identity receivers will see on it. */
  static String healthyRecipient(RouteDecider.RecipientDecision rd, long connectionId) {
    RouteStatus r = rd.route();
    StringBuilder line = new StringBuilder(200).append("event=recipient rcpt=").append(LogValues.of(rd.recipient()))
        .append(" route=").append(LogValues.of(r.route())).append(" nexthop=").append(LogValues.of(r.nexthop()))
        .append(" reach=").append(r.reach().word());
    r.ipv4().ifPresent(s -> line.append(" ipv4=").append(s.ip()).append(" ehlo4=").append(LogValues.of(s.ehlo())));
    r.ipv6().ifPresent(s -> line.append(" ipv6=").append(s.ip()).append(" ehlo6=").append(LogValues.of(s.ehlo())));
    return line.append(" conn=").append(connectionId).toString();
  }

  /** A message looked at per recipient whose recipients were all on healthy routes. */
  static String messageSummary(Mode mode, List<RouteDecider.RecipientDecision> recipients, Optional<String> client,
      Optional<String> daemon, Optional<String> queueId, long connectionId) {
    Map<String, Integer> byRoute = new TreeMap<>();
    recipients.forEach(r -> byRoute.merge(r.route().route() + "/" + r.route().reach().word(), 1, Integer::sum));
    StringBuilder routes = new StringBuilder();
    byRoute.forEach((k, v) -> routes.append(routes.length() == 0 ? "" : ",").append(k).append(':').append(v));
    return "event=decision mode=" + word(mode) + " action=accept stage=message rcpts=" + recipients.size()
        + " routes=" + LogValues.of(routes.length() == 0 ? "-" : routes.toString())
        + " queue-id=" + LogValues.of(queueId.orElse("-")) + tail(client, daemon, connectionId);
  }

  /** A message put on hold because some recipients' routes are broken; names them. */
  static String messageHeld(List<RouteDecider.RecipientDecision> held, Optional<String> client, Optional<String> daemon,
      Optional<String> queueId, long connectionId) {
    String rcpts = String.join(",", held.stream().map(RouteDecider.RecipientDecision::recipient).toList());
    String routes = String.join(",", held.stream().map(r -> r.route().route()).distinct().toList());
    return "event=decision mode=enforce action=hold stage=message routes=" + LogValues.of(routes)
        + " rcpts=" + LogValues.of(rcpts) + " queue-id=" + LogValues.of(queueId.orElse("-"))
        + tail(client, daemon, connectionId);
  }

  private static String word(Mode mode) {
    return mode.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String tail(Optional<String> client, Optional<String> daemon, long connectionId) {
    return " client=" + LogValues.of(client.orElse("-")) + " daemon=" + LogValues.of(daemon.orElse("-"))
        + " conn=" + connectionId;
  }
}
