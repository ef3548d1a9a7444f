package org.ptrguard.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.RecipientMxFamilies;
import org.ptrguard.monitor.RouteStatuses;
import org.ptrguard.ops.StatusSection;

/**
 * How much mail a broken IPv6 identity affects, as the daemon counted it from the recipients it saw
 * (route mode): its part of {@code ptrguard status} ({@value #NAME}), and the sentence that
 * {@code status}, {@code check} and {@code routes} print for one route, made from that section's data
 * so all three say the same. Only the daemon knows: it sees the recipients and looks up their
 * domains' mail exchangers in the background.
 */
final class Ipv6ShareSection implements StatusSection {
  static final String NAME = "ipv6-share";
  private static final DateTimeFormatter SINCE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
      .withZone(ZoneOffset.UTC);

  /** The keys of one route's data, in the order {@link #data} writes them. */
  private static final List<String> KEYS = List.of("route", "ipv6", "ipv6_verdict", "ipv4_verdict", "recipients",
      "to_ipv6_mx", "mx_not_known", "percent", "window_hours", "counted_since");

  private final RouteStatuses routes;
  private final Clock clock;

  Ipv6ShareSection(RouteStatuses routes, Clock clock) {
    this.routes = routes;
    this.clock = clock;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Recipients whose mail exchangers have IPv6, per route that sends over IPv6 (last 24 h)";
  }

  @Override
  public Content content() {
    Instant now = clock.instant();
    List<String> lines = new ArrayList<>();
    List<Object> data = new ArrayList<>();
    for (RouteStatuses.Ipv6Share s : routes.ipv6Shares()) {
      Map<String, Object> d = data(s, now);
      data.add(d);
      lines.add(sentence(d));
    }
    if (lines.isEmpty()) {
      lines.add("no route sends over IPv6");
    }
    return new Content(lines, data);
  }

  static Map<String, Object> data(RouteStatuses.Ipv6Share s, Instant now) {
    RecipientMxFamilies.Share c = s.counted();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("route", c.route());
    d.put("ipv6", s.ipv6().ip());
    d.put("ipv6_verdict", s.ipv6().verdict().word());
    d.put("ipv4_verdict", s.ipv4().map(v -> v.verdict().word()).orElse(null));
    d.put("recipients", c.recipients());
    d.put("to_ipv6_mx", c.toIpv6Mx());
    d.put("mx_not_known", c.notKnown());
    d.put("percent", c.percent());
    d.put("window_hours", RecipientMxFamilies.WINDOW.toHours());
    // Counting began less than the window ago (daemon start, or recipients only looked at since then).
    boolean partial = c.since().isAfter(now.minus(RecipientMxFamilies.WINDOW).plusSeconds(60));
    d.put("counted_since", partial ? c.since().toString() : null);
    return d;
  }

  /** "IPv6 is broken on route smtp: 37 of 120 recipients in the last 24 h (31%) went to domains with IPv6 mail exchangers". */
  static String sentence(Map<String, Object> d) {
    String route = String.valueOf(d.get("route"));
    boolean broken = Verdict.FAIL.word().equals(d.get("ipv6_verdict"));
    String head = broken ? "IPv6 is broken on route " + route
        : "route " + route + " (IPv6 " + d.get("ipv6") + ": " + d.get("ipv6_verdict") + ")";
    String when = d.get("counted_since") == null ? "in the last 24 h"
        : "since " + SINCE.format(Instant.parse(String.valueOf(d.get("counted_since"))));
    long recipients = number(d.get("recipients"));
    if (recipients == 0) {
      return head + ": no recipients counted " + when + " (ptrguard looks at recipients only while some route is"
          + " not healthy)";
    }
    long notKnown = number(d.get("mx_not_known"));
    return head + ": " + d.get("to_ipv6_mx") + " of " + recipients + (recipients == 1 ? " recipient " : " recipients ")
        + when + " (" + d.get("percent") + "%) went to domains with IPv6 mail exchangers"
        + (notKnown == 0 ? "" : "; for " + notKnown + " the mail exchangers were not known (lookup pending or failed)");
  }

  /** The daemon's data for one route from its status document, if the daemon reported that route. */
  @SuppressWarnings("unchecked")
  static Optional<Map<String, Object>> forRoute(Map<String, Object> status, String route) {
    for (Object o : (List<Object>) status.getOrDefault("sections", List.of())) {
      Map<String, Object> section = (Map<String, Object>) o;
      if (NAME.equals(section.get("name")) && section.get("data") instanceof List<?> rows) {
        for (Object r : rows) {
          if (r instanceof Map<?, ?> m && route.equals(m.get("route"))) {
            // in the order the daemon wrote (parsing loses it), keys of a newer daemon after them
            Map<String, Object> ordered = new LinkedHashMap<>();
            KEYS.stream().filter(m::containsKey).forEach(k -> ordered.put(k, m.get(k)));
            ((Map<String, Object>) m).forEach(ordered::putIfAbsent);
            return Optional.of(ordered);
          }
        }
      }
    }
    return Optional.empty();
  }

  /**
   * What {@code check} and {@code routes} say for a route whose IPv6 identity fails: the daemon's
   * count when it runs and reported the route, else that the share is not known and why.
   */
  static String affected(ControlCommands.DaemonAnswer daemon, String route) {
    if (daemon.status().isEmpty()) {
      return "How much mail IPv6 on route " + route + " affects is not known: only the running daemon counts it"
          + " (route mode, from the recipients it sees), and it cannot be asked: "
          + daemon.unavailable().orElse("no answer") + ".";
    }
    return forRoute(daemon.status().get(), route).map(Ipv6ShareSection::sentence)
        .map(s -> s + " (the running daemon's count).")
        .orElse("How much mail IPv6 on route " + route + " affects is not known: the running daemon reports no count"
            + " for it (not in route mode, or it does not model this route).");
  }

  private static long number(Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }
}
