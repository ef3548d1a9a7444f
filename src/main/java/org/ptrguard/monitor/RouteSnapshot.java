package org.ptrguard.monitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.ptrguard.identity.Identity;
import org.ptrguard.net.Addresses;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.Route.SourceIdentity;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.RouteModel;

/**
 * The route model and the verdicts of its identities at one moment: immutable, replaced whole when
 * a verdict or the model changes, so a session reads one consistent picture without locks.
 * {@link #resolve} maps what Postfix told the milter at RCPT ({@code {rcpt_mailer}},
 * {@code {rcpt_host}}) onto a route and its statuses, from memory only.
 */
public final class RouteSnapshot {
  /** No route model: the guard decides per session from the configured identities, as before. */
  public static final RouteSnapshot INACTIVE = new RouteSnapshot(null, Map.of(), List.of());

  /** An smtp service's statuses per family, named after the service. */
  private record ServiceStatuses(Optional<IdentityStatus> ipv4, Optional<IdentityStatus> ipv6) {}

  private final RouteModel model;
  private final Map<String, ServiceStatuses> services;
  private final List<IdentityStatus> directStatuses;

  private RouteSnapshot(RouteModel model, Map<String, ServiceStatuses> services, List<IdentityStatus> directStatuses) {
    this.model = model;
    this.services = services;
    this.directStatuses = directStatuses;
  }

  /** The identity a route's source identity is checked as: services sharing address and EHLO share a check. */
  public static Optional<Identity> checkedAs(SourceIdentity id) {
    return id.address().map(a -> new Identity("route", a, id.ehlo(), false));
  }

  /**
   * @param statuses the cached status of a checked identity; empty while its first check runs
   */
  public static RouteSnapshot of(RouteModel model, Function<Identity, Optional<IdentityStatus>> statuses) {
    Map<String, ServiceStatuses> map = new HashMap<>();
    model.services().forEach((name, s) -> {
      if (s.command().equals("smtp")) {
        map.put(name, new ServiceStatuses(family(name, s.identities(), Family.IPV4, statuses),
            family(name, s.identities(), Family.IPV6, statuses)));
      }
    });
    // Health is judged on the routes that reach receivers directly; a service used only towards a
    // relay does not make sessions slower. A model with problems counts as not healthy.
    List<IdentityStatus> direct = new ArrayList<>();
    model.unavailable().ifPresent(why -> direct.add(IdentityStatus.unknown("-", "-", "-", why)));
    for (Route r : model.routes()) {
      ServiceStatuses s = map.get(r.service());
      if (r.reach() == Reach.DIRECT && s != null) {
        s.ipv4().ifPresent(direct::add);
        s.ipv6().ifPresent(direct::add);
      } else if (r.reach() == Reach.UNKNOWN) {
        direct.add(IdentityStatus.unknown(r.service(), "-", "-", "route " + r.service() + ": "
            + String.join("; ", r.problems())));
      }
    }
    return new RouteSnapshot(model, Map.copyOf(map), List.copyOf(direct));
  }

  private static Optional<IdentityStatus> family(String service, List<SourceIdentity> ids, Family family,
      Function<Identity, Optional<IdentityStatus>> statuses) {
    // A family without a known source address is not judged (as routes and check do); a route with
    // no address at all is unknown (see RouteDecider).
    return ids.stream().filter(i -> i.family() == family && i.address().isPresent()).findFirst()
        .map(id -> statusOf(service, id, statuses));
  }

  /**
   * The identity's verdict, named after the route, its reason prefixed with it: the default reply
   * ("... not ready: {reason}") then names the route and its first finding.
   */
  private static IdentityStatus statusOf(String service, SourceIdentity id,
      Function<Identity, Optional<IdentityStatus>> statuses) {
    Optional<Identity> checked = checkedAs(id);
    return statuses.apply(checked.get())
        .map(s -> new IdentityStatus(service, s.ip(), s.ptr(), s.ehlo(), s.verdict(), s.codes(),
            s.reason().isEmpty() ? "" : "route " + service + ": " + s.reason(), s.stale()))
        .orElseGet(() -> IdentityStatus.unknown(service, Addresses.text(checked.get().ip()), id.ehlo(),
            "route " + service + ": the first check of its identity has not finished"));
  }

  /**
   * The same routes with each identity status passed through {@code overlay} (receiver holds): a
   * new snapshot, this one unchanged.
   */
  public RouteSnapshot withStatuses(java.util.function.UnaryOperator<IdentityStatus> overlay) {
    if (model == null) {
      return this;
    }
    Map<String, ServiceStatuses> map = new HashMap<>();
    services.forEach((name, s) -> map.put(name, new ServiceStatuses(s.ipv4().map(overlay), s.ipv6().map(overlay))));
    return new RouteSnapshot(model, Map.copyOf(map), directStatuses.stream().map(overlay).toList());
  }

  public boolean active() {
    return model != null;
  }

  public Optional<RouteModel> model() {
    return Optional.ofNullable(model);
  }

  /** The statuses of every route that reaches receivers directly (both families), unknown routes included. */
  public List<IdentityStatus> directStatuses() {
    return directStatuses;
  }

  /**
   * The route of one recipient.
   *
   * @param mailer {@code {rcpt_mailer}}: the transport (master.cf service) Postfix resolved
   * @param nexthop {@code {rcpt_host}}: its nexthop (the recipient domain for MX delivery)
   * @param recipientDomain the recipient address's domain
   */
  public RouteStatus resolve(Optional<String> mailer, Optional<String> nexthop, String recipientDomain) {
    String hop = nexthop.filter(h -> !h.isBlank()).orElse("-");
    if (mailer.isEmpty() || mailer.get().isBlank()) {
      return unknown("-", hop, "Postfix passed no {rcpt_mailer} macro (milter_rcpt_macros must include it)");
    }
    if (model == null) {
      return unknown(mailer.get(), hop, "no route model");
    }
    Route r = model.lookup(mailer.get(), nexthop.orElse(""), recipientDomain);
    return switch (r.reach()) {
      case DIRECT -> {
        ServiceStatuses s = services.get(r.service());
        yield s == null ? unknown(r.service(), hop, "service " + r.service() + " has no identity")
            : new RouteStatus(r.service(), hop, Reach.DIRECT, s.ipv4(), s.ipv6(), "", r.addressPreference());
      }
      case RELAYED -> new RouteStatus(r.service(), hop, Reach.RELAYED, Optional.empty(), Optional.empty(),
          "receivers see the relay's identity");
      case LOCAL -> new RouteStatus(r.service(), hop, Reach.LOCAL, Optional.empty(), Optional.empty(),
          "no outbound identity");
      case UNKNOWN -> unknown(r.service(), hop, r.problems().isEmpty() ? "route not modelled" : String.join("; ", r.problems()));
    };
  }

  private static RouteStatus unknown(String route, String hop, String why) {
    return new RouteStatus(route, hop, Reach.UNKNOWN, Optional.empty(), Optional.empty(), why);
  }
}
