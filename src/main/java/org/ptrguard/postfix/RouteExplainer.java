package org.ptrguard.postfix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.postfix.Route.Nexthop;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.Route.Selection;
import org.ptrguard.postfix.Route.Selection.Kind;
import org.ptrguard.postfix.RouteDiscovery.Transport;

/**
 * Follows Postfix's resolution for one sender and recipient, the way trivial-rewrite does
 * (address class, sender-dependent maps, relayhost, then transport_maps in transport(5) order),
 * recording every table lookup. For {@code ptrguard route} and ahead-of-time checks: it runs
 * postmap, so it never runs on the mail path (that path uses {@link RouteModel#lookup}).
 */
public final class RouteExplainer {
  /** One table lookup: which parameter's table, the key, and what it returned (or why it failed). */
  public record Lookup(String parameter, String table, String key, Optional<String> result, Optional<String> problem) {}

  /** The route one recipient takes and why. */
  public record Explanation(String sender, String recipient, String addressClass, Route route, List<Lookup> lookups,
      List<String> steps) {}

  /** A failed table makes the answer unknown instead of silently skipping the table. */
  private static final class TableFailed extends Exception {
    TableFailed(String message) {
      super(message, null, false, false);
    }
  }

  private final RouteModel model;
  private final Tables tables;
  private final PostfixConfig config;

  public RouteExplainer(RouteModel model, Tables tables) {
    this.model = model;
    this.tables = tables;
    this.config = model.config();
  }

  public Explanation explain(String sender, String recipient) {
    List<Lookup> lookups = new ArrayList<>();
    List<String> steps = new ArrayList<>();
    String rcpt = recipient.strip().replaceAll("^<|>$", "");
    String domain = rcpt.contains("@") ? rcpt.substring(rcpt.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT) : "";
    if (model.unavailable().isPresent()) {
      Route r = model.route("?", "", Selection.of(Kind.RESOLVED_BY_POSTFIX, "postconf", "unavailable"), Nexthop.Kind.UNKNOWN);
      return new Explanation(sender, rcpt, "unknown", r, lookups, List.of(model.unavailable().get()));
    }
    try {
      return resolve(sender.strip().replaceAll("^<|>$", ""), rcpt, domain, lookups, steps);
    } catch (TableFailed e) {
      Route r = new Route("?", "", Selection.of(Kind.RESOLVED_BY_POSTFIX, "tables", "a table could not be read"),
          new Nexthop(Nexthop.Kind.UNKNOWN, "?"), Reach.UNKNOWN, List.of(), "", List.of(e.getMessage()));
      steps.add(e.getMessage());
      return new Explanation(sender, rcpt, "unknown", r, lookups, steps);
    }
  }

  private Explanation resolve(String sender, String rcpt, String domain, List<Lookup> lookups, List<String> steps)
      throws TableFailed {
    String addressClass;
    Transport transport;
    Selection selection;
    String nexthop;
    Nexthop.Kind nexthopKind = Nexthop.Kind.TRANSPORT_NEXTHOP;
    if (inDomainList("mydestination", domain, lookups)) {
      addressClass = "local";
      transport = Transport.parse(config.parameter("local_transport"));
      selection = Selection.of(Kind.LOCAL_TRANSPORT, "local_transport", domain + " is in mydestination");
      nexthop = transport.nexthop();
    } else if (inDomainList("virtual_alias_domains", domain, lookups)) {
      steps.add(domain + " is in virtual_alias_domains: virtual_alias_maps rewrites the address; its route is that"
          + " of the rewritten address (run ptrguard route with that address)");
      Route r = new Route("", "", Selection.of(Kind.RESOLVED_BY_POSTFIX, "virtual_alias_domains", "rewritten first"),
          new Nexthop(Nexthop.Kind.LOCAL, "rewritten by virtual_alias_maps"), Reach.LOCAL, List.of(), "", List.of());
      return new Explanation(sender, rcpt, "virtual-alias", r, lookups, steps);
    } else if (inDomainList("virtual_mailbox_domains", domain, lookups)) {
      addressClass = "virtual";
      transport = Transport.parse(config.parameter("virtual_transport"));
      selection = Selection.of(Kind.VIRTUAL_TRANSPORT, "virtual_transport", domain + " is in virtual_mailbox_domains");
      nexthop = transport.nexthop();
    } else if (inDomainList("relay_domains", domain, lookups)) {
      addressClass = "relay";
      transport = Transport.parse(config.parameter("relay_transport"));
      selection = Selection.of(Kind.RELAY_TRANSPORT, "relay_transport", domain + " is in relay_domains");
      nexthop = transport.nexthop();
      if (nexthop.isEmpty()) {
        nexthop = relayhost(sender, lookups);
        nexthopKind = Nexthop.Kind.RELAYHOST;
      }
    } else {
      addressClass = "default";
      Optional<Map.Entry<String, String>> bySender = find("sender_dependent_default_transport_maps", senderKeys(sender,
          "empty_address_default_transport_maps_lookup_key"), lookups);
      if (bySender.isPresent() && !bySender.get().getValue().equalsIgnoreCase("DUNNO")) {
        transport = Transport.parse(bySender.get().getValue());
        String[] tk = bySender.get().getKey().split("\u0000", 2);
        selection = Selection.entry(Kind.SENDER_DEPENDENT_DEFAULT_TRANSPORT, "sender_dependent_default_transport_maps",
            tk[0], tk[1], "result " + bySender.get().getValue());
      } else {
        transport = Transport.parse(config.parameter("default_transport"));
        selection = Selection.of(Kind.DEFAULT_TRANSPORT, "default_transport", domain + " is not local, virtual or relay");
      }
      nexthop = transport.nexthop();
      if (nexthop.isEmpty()) {
        nexthop = relayhost(sender, lookups);
        nexthopKind = Nexthop.Kind.RELAYHOST;
      }
    }
    steps.add("address class " + addressClass + ": " + selection.describe() + " -> " + transport.service()
        + (nexthop.isEmpty() ? "" : ":" + nexthop));
    Optional<Map.Entry<String, String>> byRecipient = find("transport_maps", transportKeys(rcpt, domain), lookups);
    String service = transport.service();
    if (byRecipient.isPresent()) {
      Transport t = Transport.parse(byRecipient.get().getValue());
      String[] tk = byRecipient.get().getKey().split("\u0000", 2);
      if (!t.service().isEmpty()) {
        service = t.service();
        // transport(5): a transport with a null nexthop resets the nexthop to the recipient domain
        nexthop = t.nexthop();
        nexthopKind = Nexthop.Kind.TRANSPORT_NEXTHOP;
      } else if (!t.nexthop().isEmpty()) {
        nexthop = t.nexthop();
        nexthopKind = Nexthop.Kind.TRANSPORT_NEXTHOP;
      }
      selection = Selection.entry(Kind.TRANSPORT_MAP, "transport_maps", tk[0], tk[1],
          byRecipient.get().getValue().isEmpty() ? "empty result: no change" : "result " + byRecipient.get().getValue());
      steps.add("transport_maps " + LookupTable.shortLabel(tk[0]) + " matches " + tk[1] + " -> " + service + (nexthop.isEmpty() ? "" : ":" + nexthop));
    }
    Route route = model.route(service, nexthop, selection, nexthopKind);
    steps.add(switch (route.reach()) {
      case DIRECT -> "direct delivery to the MX of " + domain + ": receivers see this host's identity";
      case RELAYED -> "relayed through " + nexthop + ": receivers see the relay's identity";
      case LOCAL -> "delivered on this host (" + route.command() + "): no outbound identity";
      case UNKNOWN -> "unknown: " + String.join("; ", route.problems());
    });
    return new Explanation(sender, rcpt, addressClass, route, lookups, steps);
  }

  private String relayhost(String sender, List<Lookup> lookups) throws TableFailed {
    Optional<Map.Entry<String, String>> bySender = find("sender_dependent_relayhost_maps",
        senderKeys(sender, "empty_address_relayhost_maps_lookup_key"), lookups);
    if (bySender.isPresent() && !bySender.get().getValue().equalsIgnoreCase("DUNNO")) {
      return bySender.get().getValue();
    }
    return config.parameter("relayhost");
  }

  /** Sender tables: the address, the address without its extension, then @domain; the null sender by its key. */
  private List<String> senderKeys(String sender, String emptyKeyParameter) {
    if (sender.isEmpty()) {
      String key = config.parameter(emptyKeyParameter);
      return List.of(key.isEmpty() ? "<>" : key);
    }
    List<String> keys = new ArrayList<>();
    keys.add(sender);
    withoutExtension(sender).ifPresent(keys::add);
    if (sender.contains("@")) {
      keys.add(sender.substring(sender.lastIndexOf('@')));
    }
    return keys;
  }

  /** transport(5) order: user+ext@domain, user@domain, domain, parent domains, *. */
  private List<String> transportKeys(String rcpt, String domain) {
    List<String> keys = new ArrayList<>();
    keys.add(rcpt);
    withoutExtension(rcpt).ifPresent(keys::add);
    if (!domain.isEmpty()) {
      keys.addAll(domainKeys("transport_maps", domain));
    }
    keys.add("*");
    return keys;
  }

  /** The domain, then each parent as ".parent" (or "parent" when the feature matches subdomains itself). */
  private List<String> domainKeys(String feature, String domain) {
    boolean parentStyle = parentStyle(feature);
    List<String> keys = new ArrayList<>();
    keys.add(domain);
    String rest = domain;
    int dot;
    while ((dot = rest.indexOf('.')) >= 0) {
      rest = rest.substring(dot + 1);
      if (rest.isEmpty()) {
        break;
      }
      keys.add(parentStyle ? rest : "." + rest);
    }
    return keys;
  }

  private boolean parentStyle(String feature) {
    return LookupTable.splitList(config.parameter("parent_domain_matches_subdomains")).contains(feature);
  }

  private Optional<String> withoutExtension(String address) {
    String delimiters = config.parameter("recipient_delimiter");
    int at = address.lastIndexOf('@');
    if (delimiters.isEmpty() || at <= 0) {
      return Optional.empty();
    }
    String local = address.substring(0, at);
    for (char d : delimiters.toCharArray()) {
      int i = local.indexOf(d);
      if (i > 0) {
        return Optional.of(local.substring(0, i) + address.substring(at));
      }
    }
    return Optional.empty();
  }

  /**
   * The first hit over {@code keys} (outer) and the parameter's tables (inner), as Postfix searches;
   * the entry's key is "TABLE\0KEY". Regular-expression tables only see the first (whole) key.
   */
  private Optional<Map.Entry<String, String>> find(String parameter, List<String> keys, List<Lookup> lookups)
      throws TableFailed {
    List<LookupTable> list = LookupTable.list(config.parameter(parameter));
    if (list.isEmpty()) {
      return Optional.empty();
    }
    Map<LookupTable, Tables.Answers> answers = new LinkedHashMap<>();
    for (LookupTable t : list) {
      answers.put(t, tables.query(t, t.partialKeys() ? keys : keys.subList(0, 1)));
    }
    for (int i = 0; i < keys.size(); i++) {
      for (LookupTable t : list) {
        if (i > 0 && !t.partialKeys()) {
          continue;
        }
        String key = t.key(keys.get(i));
        Tables.Answers a = answers.get(t);
        if (a.problem().isPresent()) {
          lookups.add(new Lookup(parameter, t.spec(), key, Optional.empty(), a.problem()));
          throw new TableFailed(parameter + ": table " + t.spec() + " cannot be read: " + a.problem().get());
        }
        Optional<String> value = Optional.ofNullable(a.values().get(key));
        lookups.add(new Lookup(parameter, t.spec(), key, value, Optional.empty()));
        if (value.isPresent()) {
          return Optional.of(Map.entry(t.spec() + '\u0000' + key, value.get()));
        }
      }
    }
    return Optional.empty();
  }

  /** Domain lists (mydestination, relay_domains, ...): names, .names, and type:table entries. */
  private boolean inDomainList(String parameter, String domain, List<Lookup> lookups) throws TableFailed {
    if (domain.isEmpty()) {
      return false;
    }
    boolean parentStyle = parentStyle(parameter);
    for (String item : LookupTable.splitList(config.parameter(parameter))) {
      String it = item.toLowerCase(Locale.ROOT);
      if (it.matches("[a-z0-9]+:.*")) {
        LookupTable t = LookupTable.parse(item);
        List<String> keys = domainKeys(parameter, domain);
        Tables.Answers a = tables.query(t, keys);
        if (a.problem().isPresent()) {
          lookups.add(new Lookup(parameter, t.spec(), domain, Optional.empty(), a.problem()));
          throw new TableFailed(parameter + ": table " + t.spec() + " cannot be read: " + a.problem().get());
        }
        for (String k : keys) {
          Optional<String> v = Optional.ofNullable(a.values().get(t.key(k)));
          lookups.add(new Lookup(parameter, t.spec(), k, v, Optional.empty()));
          if (v.isPresent()) {
            return true;
          }
        }
      } else if (it.equals(domain) || (it.startsWith(".") && domain.endsWith(it))
          || (parentStyle && domain.endsWith("." + it))) {
        return true;
      }
    }
    return false;
  }
}
