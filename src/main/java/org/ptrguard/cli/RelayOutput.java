package org.ptrguard.cli;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ptrguard.dns.MailExchangers;
import org.ptrguard.monitor.RelayProbe.Attempt;
import org.ptrguard.monitor.RelayProbe.HostReport;
import org.ptrguard.monitor.RelayProbe.RelayReport;
import org.ptrguard.net.Addresses;

/**
 * A relay's name and reachability as {@code routes}, {@code route} and {@code check} print it:
 * information, never a verdict (receivers judge the relay's identity, not ours).
 */
final class RelayOutput {
  private RelayOutput() {}

  /** Field lines under a route, then one warning line each (with what happens to the mail and the fix). */
  static void print(CheckReport report, RelayReport relay) {
    for (HostReport h : relay.hosts()) {
      report.field("relay", h.host().text() + (h.host().problem().isPresent() ? "" : ": host " + h.host().host()
          + ", port " + h.host().port() + (h.host().bracketed() ? ", bracketed (no MX lookup)"
              : ", not bracketed (MX lookup first)")));
      if (h.host().problem().isPresent()) {
        continue;
      }
      report.field("resolves", h.resolves() ? "yes: " + resolvedText(h) : "no: " + h.resolveProblem().get());
      if (h.resolves()) {
        report.field("connects", connectText(h));
      }
    }
    relay.warnings().forEach(w -> report.field("warning", w));
  }

  private static String resolvedText(HostReport h) {
    if (h.resolved().isEmpty()) {
      return addresses(h.addresses()) + " (address literal)";
    }
    MailExchangers.Destination d = h.resolved().get();
    if (d.viaMx()) {
      List<String> hosts = new ArrayList<>();
      d.hosts().forEach(x -> hosts.add(x.name() + " " + (x.addresses().isEmpty() ? "(no address)" : addresses(x.addresses()))));
      return "MX " + String.join("; ", hosts);
    }
    return addresses(h.addresses()) + (h.host().bracketed() ? "" : " (no MX: the name's own addresses)");
  }

  private static String connectText(HostReport h) {
    if (h.reachable()) {
      Attempt a = h.opened().get();
      return "yes: " + a.target() + " opened in " + a.millis() + " ms from " + source(a);
    }
    List<String> failed = new ArrayList<>();
    h.attempts().forEach(a -> failed.add(a.target() + " " + a.problem().orElse("")));
    return "no: " + String.join("; ", failed);
  }

  private static String source(Attempt a) {
    return a.source().map(s -> Addresses.text(s) + " (smtp_bind_address)").orElse("the kernel's source address");
  }

  private static String addresses(List<InetAddress> list) {
    return String.join(", ", list.stream().map(Addresses::text).toList());
  }

  static Map<String, Object> json(RelayReport relay) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nexthop", relay.nexthop());
    // null when the relay could not be probed at all (the warning says why)
    m.put("resolves", relay.hosts().isEmpty() ? null : relay.resolves());
    m.put("reachable", relay.hosts().isEmpty() ? null : relay.reachable());
    List<Object> hosts = new ArrayList<>();
    for (HostReport h : relay.hosts()) {
      Map<String, Object> hm = new LinkedHashMap<>();
      hm.put("text", h.host().text());
      hm.put("host", h.host().host());
      hm.put("port", h.host().port());
      hm.put("bracketed", h.host().bracketed());
      hm.put("mx_lookup", h.host().problem().isEmpty() && h.host().mxLookup());
      hm.put("resolves", h.resolves());
      hm.put("mx_hosts", h.resolved().filter(MailExchangers.Destination::viaMx)
          .map(d -> d.hosts().stream().map(MailExchangers.Host::name).toList()).orElse(List.of()));
      hm.put("addresses", h.addresses().stream().map(Addresses::text).toList());
      hm.put("resolve_problem", h.resolveProblem().orElse(null));
      hm.put("reachable", h.reachable());
      List<Object> attempts = new ArrayList<>();
      for (Attempt a : h.attempts()) {
        Map<String, Object> am = new LinkedHashMap<>();
        am.put("address", Addresses.text(a.address()));
        am.put("port", a.port());
        am.put("source", a.source().map(Addresses::text).orElse(null));
        am.put("opened", a.opened());
        am.put("millis", a.millis());
        am.put("problem", a.problem().orElse(null));
        am.put("bind_problem", a.bindProblem().orElse(null));
        attempts.add(am);
      }
      hm.put("connections", attempts);
      hosts.add(hm);
    }
    m.put("hosts", hosts);
    m.put("warnings", relay.warnings());
    return m;
  }
}
