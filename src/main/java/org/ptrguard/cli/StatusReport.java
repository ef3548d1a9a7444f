package org.ptrguard.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** The text of {@code ptrguard status} and {@code recheck}, rendered from the daemon's JSON document. */
final class StatusReport {
  private final PrintStream out;
  private final CheckReport text;

  StatusReport(PrintStream out, boolean colour) {
    this.out = out;
    this.text = new CheckReport(out, colour);
  }

  @SuppressWarnings("unchecked")
  void print(Map<String, Object> doc, int exitCode) {
    Map<String, Object> daemon = (Map<String, Object>) doc.getOrDefault("daemon", Map.of());
    out.println("ptrguard daemon " + daemon.get("version") + " (pid " + daemon.get("pid") + "), mode " + daemon.get("mode")
        + ", running since " + daemon.get("started"));
    out.println("config: " + daemon.get("config") + "; now " + daemon.get("now"));
    if (doc.get("recheck_ms") != null) {
      out.println("rechecked every identity now (" + doc.get("recheck_ms") + " ms)");
    }
    List<Object> identities = (List<Object>) doc.getOrDefault("identities", List.of());
    if (identities.isEmpty() && ((List<Object>) doc.getOrDefault("route_identities", List.of())).isEmpty()) {
      out.println();
      out.println("no identity resolved yet");
    }
    for (Object o : identities) {
      Map<String, Object> id = (Map<String, Object>) o;
      identity("identity " + id.get("name"), id);
    }
    for (Object o : (List<Object>) doc.getOrDefault("route_identities", List.of())) {
      Map<String, Object> id = (Map<String, Object>) o;
      List<Object> services = (List<Object>) id.getOrDefault("services", List.of());
      identity("route identity " + String.join(", ", services.stream().map(String::valueOf).toList()) + " ("
          + ("ipv6".equals(id.get("family")) ? "IPv6" : "IPv4") + ")", id);
    }
    for (Object p : (List<Object>) doc.getOrDefault("problems", List.of())) {
      out.println();
      text.wrap("problem: ", "         ", String.valueOf(p));
    }
    for (Object o : (List<Object>) doc.getOrDefault("sections", List.of())) {
      Map<String, Object> section = (Map<String, Object>) o;
      out.println();
      out.println(section.get("title") + ":");
      for (Object line : (List<Object>) section.getOrDefault("lines", List.of())) {
        text.wrap("  ", "    ", String.valueOf(line));
      }
    }
    out.println();
    out.println("overall: " + text.badge(ControlCommands.verdict(String.valueOf(doc.get("verdict")))) + " (exit " + exitCode + ")");
    if (!"pass".equals(doc.get("verdict"))) {
      text.wrap("", "", "Fixed it in DNS? `ptrguard recheck` makes the daemon check again now; `ptrguard check` shows what "
          + "a fresh check sees.");
    }
  }

  @SuppressWarnings("unchecked")
  private void identity(String heading, Map<String, Object> id) {
    out.println();
    out.println(heading + ": " + id.get("ip") + "  "
        + text.badge(ControlCommands.verdict(String.valueOf(id.get("verdict")))) + (Boolean.TRUE.equals(id.get("stale"))
            ? " (last known verdict: the latest check failed temporarily)" : ""));
    text.field("EHLO name", String.valueOf(id.get("ehlo")));
    List<Object> ptr = (List<Object>) id.getOrDefault("ptr", List.of());
    text.field("PTR", ptr.isEmpty() ? "none" : String.join(", ", ptr.stream().map(String::valueOf).toList()));
    text.field("checked", id.get("checked_at") == null ? "not yet"
        : id.get("checked_at") + " (" + ago(id.get("age_seconds")) + ")");
    text.field("next check", id.get("next_check") == null ? "not scheduled"
        : "in " + duration(id.get("next_check_in_seconds")) + " (" + id.get("next_check") + ")");
    for (Object f : (List<Object>) id.getOrDefault("findings", List.of())) {
      Map<String, Object> finding = (Map<String, Object>) f;
      text.wrap("  ", "       ", String.valueOf(finding.get("severity")).toUpperCase(java.util.Locale.ROOT) + " "
          + finding.get("code") + ": " + finding.get("message"));
      text.wrap("       fix:  ", "             ", String.valueOf(finding.get("fix")));
    }
    List<Object> receivers = (List<Object>) id.getOrDefault("receivers", List.of());
    if (!receivers.isEmpty()) {
      out.println();
      ReceiverMatrixOutput.print(text, receivers);
    }
  }

  private static String ago(Object seconds) {
    return duration(seconds) + " ago";
  }

  /** 42 s, 5 min, 2 h 5 min. */
  static String duration(Object seconds) {
    long s = seconds instanceof Number n ? n.longValue() : 0;
    if (s < 120) {
      return s + " s";
    }
    if (s < 7200) {
      return s / 60 + " min";
    }
    return s / 3600 + " h " + (s % 3600) / 60 + " min";
  }
}
