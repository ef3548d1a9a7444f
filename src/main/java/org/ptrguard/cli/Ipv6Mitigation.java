package org.ptrguard.cli;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.Verdict;
import org.ptrguard.net.Addresses;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.RouteModel;

/**
 * What to do today when the IPv6 identity fails while IPv4 passes: Postfix can keep the mail on
 * IPv4 until the IPv6 PTR is fixed. Facts from postconf(5): smtp_address_preference only orders
 * the addresses of a destination that has both families (IPv6 is still used for IPv6-only
 * destinations and when IPv4 fails); inet_protocols = ipv4 turns IPv6 off for all of Postfix and
 * needs a stop and start.
 *
 * <p>How much mail is affected: the route model tells which services send over the failing IPv6
 * address and with which smtp_address_preference; which recipients' MX hosts have IPv6 is only
 * learnt by the daemon from live traffic (monitor.RecipientMxFamilies), so {@code check} names the
 * routes and asks the running daemon for its count of the last 24 h ({@link Ipv6ShareSection}).
 *
 * @param daemon the running daemon's status document, or why it cannot be asked
 */
record Ipv6Mitigation(List<String> failingIpv6, List<String> passingIpv4, List<RouteImpact> routes,
    ControlCommands.DaemonAnswer daemon) {
  /**
   * One route that sends over a failing IPv6 address, and which of its deliveries can use IPv6.
   *
   * @param service the master.cf service, as the daemon counts recipients
   */
  record RouteImpact(String route, String service, String addressPreference, String affected) {}

  static final String TEXT = "The IPv6 identity fails while IPv4 passes. Immediate mitigation, until the IPv6 PTR is"
      + " fixed: postconf -e 'smtp_address_preference = ipv4' && postfix reload makes Postfix try IPv4 first for"
      + " every receiver that has both IPv4 and IPv6 addresses (trade-off: receivers reachable only over IPv6, and"
      + " deliveries whose IPv4 attempt fails, still go out over the failing IPv6 identity). Or postconf -e"
      + " 'inet_protocols = ipv4' and postfix stop && postfix start (a reload is not enough): no receiver sees the"
      + " IPv6 identity any more, but IPv6-only receivers become unreachable and Postfix stops accepting mail over"
      + " IPv6 too. Undo either once the IPv6 identity passes.";

  static Optional<Ipv6Mitigation> of(List<IdentityReport> reports, Optional<RouteModel> model,
      ControlCommands.DaemonAnswer daemon) {
    List<String> failing = new ArrayList<>();
    List<String> passing = new ArrayList<>();
    for (IdentityReport r : reports) {
      boolean v6 = r.identity().ip() instanceof Inet6Address;
      if (v6 && r.verdict() == Verdict.FAIL) {
        failing.add(Addresses.text(r.identity().ip()));
      } else if (!v6 && (r.verdict() == Verdict.PASS || r.verdict() == Verdict.WARN)) {
        passing.add(Addresses.text(r.identity().ip()));
      }
    }
    if (failing.isEmpty() || passing.isEmpty()) {
      return Optional.empty();
    }
    List<RouteImpact> routes = new ArrayList<>();
    for (Route route : model.map(RouteModel::routes).orElse(List.of())) {
      Optional<InetAddress> v6 = route.identity(Route.Family.IPV6).flatMap(Route.SourceIdentity::address);
      if (route.reach() == Route.Reach.DIRECT && v6.isPresent() && failing.contains(Addresses.text(v6.get()))) {
        routes.add(new RouteImpact(route.label(), route.service(), route.addressPreference(),
            affected(route.addressPreference())));
      }
    }
    return Optional.of(new Ipv6Mitigation(List.copyOf(failing), List.copyOf(passing), List.copyOf(routes), daemon));
  }

  /** Which deliveries of a route with this smtp_address_preference meet its IPv6 identity. */
  static String affected(String preference) {
    return switch (preference) {
      case "ipv4" -> "receivers without IPv4 addresses only, and deliveries whose IPv4 attempt fails";
      case "ipv6" -> "every receiver with an IPv6 address (tried first)";
      default -> "part of the deliveries to receivers with both families, and all deliveries to IPv6-only receivers";
    };
  }

  /** The note on how much mail this is: what check can tell, and what only the daemon learns. */
  String share() {
    if (routes.isEmpty()) {
      return "ptrguard check cannot tell how much mail this affects: no route of the Postfix model sends over "
          + String.join(", ", failingIpv6) + ", and which recipients' MX hosts have IPv6 is only learnt by the"
          + " running daemon from the mail it sees.";
    }
    return String.join(" ", routes.stream().map(r -> r.service()).distinct()
        .map(service -> Ipv6ShareSection.affected(daemon, service)).toList());
  }

  Map<String, Object> json() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("failing_ipv6", failingIpv6);
    out.put("passing_ipv4", passingIpv4);
    out.put("mitigation", TEXT);
    List<Object> rs = new ArrayList<>();
    for (RouteImpact r : routes) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("route", r.route());
      m.put("smtp_address_preference", r.addressPreference());
      m.put("ipv6_used_for", r.affected());
      // the daemon's count of this route's recipients (null when no daemon reported it)
      m.put("recipients_24h", daemon.status().flatMap(d -> Ipv6ShareSection.forRoute(d, r.service())).orElse(null));
      rs.add(m);
    }
    out.put("routes", rs);
    out.put("share", share());
    return out;
  }
}
