package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.net.Addresses;

/**
 * An identity whose verdict in the running daemon differs from the one {@code check} just found: the
 * daemon still decides with an answer checked earlier (it re-checks at the records' TTL), so the
 * admin learns its age and the remedy instead of two silently different answers.
 */
record DaemonDifference(String ip, String ehlo, String fresh, String daemon, Object ageSeconds, Object nextInSeconds) {

  /** Compares by address and EHLO name: the identity names may differ between the daemon and check --ip. */
  @SuppressWarnings("unchecked")
  static List<DaemonDifference> of(Map<String, Object> status, List<IdentityReport> reports) {
    List<DaemonDifference> out = new ArrayList<>();
    // The configured identities, then (route mode) the route identities; one that is both is named once.
    List<Object> daemonIdentities = new ArrayList<>((List<Object>) status.getOrDefault("identities", List.of()));
    daemonIdentities.addAll((List<Object>) status.getOrDefault("route_identities", List.of()));
    java.util.Set<String> named = new java.util.HashSet<>();
    for (Object o : daemonIdentities) {
      Map<String, Object> id = (Map<String, Object>) o;
      for (IdentityReport r : reports) {
        String ip = Addresses.text(r.identity().ip());
        if (ip.equals(id.get("ip")) && r.identity().ehlo().equalsIgnoreCase(String.valueOf(id.get("ehlo")))
            && !r.verdict().word().equals(id.get("verdict"))
            && named.add(ip + " " + r.identity().ehlo().toLowerCase(java.util.Locale.ROOT))) {
          out.add(new DaemonDifference(ip, r.identity().ehlo(), r.verdict().word(), String.valueOf(id.get("verdict")),
              id.get("age_seconds"), id.get("next_check_in_seconds")));
        }
      }
    }
    return out;
  }

  String text() {
    return "the running daemon still says " + daemon + " for " + ip + " (" + ehlo + "), checked "
        + (ageSeconds == null ? "not yet" : StatusReport.duration(ageSeconds) + " ago")
        + (nextInSeconds == null ? "" : ", next check in " + StatusReport.duration(nextInSeconds))
        + "; this check says " + fresh + ". `ptrguard recheck` makes the daemon check again now.";
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ip", ip);
    m.put("ehlo", ehlo);
    m.put("verdict", fresh);
    m.put("daemon_verdict", daemon);
    m.put("daemon_age_seconds", ageSeconds);
    m.put("daemon_next_check_in_seconds", nextInSeconds);
    return m;
  }
}
