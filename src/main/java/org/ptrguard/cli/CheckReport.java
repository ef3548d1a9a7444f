package org.ptrguard.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.IntFunction;
import org.ptrguard.identity.Finding;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.ReceiverProfiles;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityTargets.Target;
import org.ptrguard.net.Addresses;

/** The human report of {@code ptrguard check}: fits an 80-column terminal, colour only on a TTY. */
final class CheckReport {
  static final int WIDTH = 80;
  private final PrintStream out;
  private final boolean colour;

  CheckReport(PrintStream out, boolean colour) {
    this.out = out;
    this.colour = colour;
  }

  /**
   * @param rejections the receiver-rejections line of the i-th identity, when the daemon told them
   * @param footer lines after the identities (why the daemon's rejections are missing, or others')
   */
  void print(String resolver, List<Target> targets, List<IdentityReport> reports, Verdict overall, int exitCode,
      IntFunction<Optional<String>> rejections, List<String> footer) {
    out.println("ptrguard check: " + reports.size() + (reports.size() == 1 ? " identity" : " identities")
        + ", resolver " + resolver);
    for (int i = 0; i < reports.size(); i++) {
      identity(targets.get(i), reports.get(i), rejections.apply(i));
    }
    if (!footer.isEmpty()) {
      out.println();
      footer.forEach(line -> wrap("", "  ", line));
    }
    out.println();
    out.println("overall: " + badge(overall) + " (exit " + exitCode + ")");
  }

  private void identity(Target t, IdentityReport r, Optional<String> rejections) {
    out.println();
    out.println("identity " + t.identityName() + ": " + Addresses.text(r.identity().ip()) + "  " + badge(r.verdict()));
    field("address", Addresses.text(r.identity().ip()) + " (" + t.ipProvenance() + ")");
    field("EHLO name", r.identity().ehlo() + " (" + t.ehloProvenance() + ")");
    field("PTR", r.ptrNames().isEmpty() ? "none" : String.join(", ", r.ptrNames()));
    r.reverseZone().ifPresent(z -> field("reverse zone", z.describe()));
    rejections.ifPresent(text -> field("rejections", text));
    findings(r);
    out.println();
    ReceiverMatrixOutput.print(this, ReceiverProfiles.standard().judge(r));
  }

  /** After the overall line: keep mail on IPv4 while the IPv6 identity is broken, and which routes that concerns. */
  void ipv6Mitigation(Ipv6Mitigation m) {
    out.println();
    wrap("ipv6: ", "      ", String.join(", ", m.failingIpv6()) + " fails, " + String.join(", ", m.passingIpv4())
        + " passes.");
    wrap("      ", "      ", Ipv6Mitigation.TEXT);
    for (Ipv6Mitigation.RouteImpact r : m.routes()) {
      wrap("      route ", "            ", r.route() + " (smtp_address_preference = " + r.addressPreference()
          + "): IPv6 is used for " + r.affected() + ".");
    }
    wrap("      ", "      ", m.share());
  }

  /** Each finding with its evidence and fix, or the all-clear line. */
  void findings(IdentityReport r) {
    if (r.findings().isEmpty()) {
      wrap("  ", "  ", "All checks passed: PTR present and single, forward-confirmed, not generic, EHLO name matches.");
      return;
    }
    for (Finding f : r.findings()) {
      out.println();
      wrap("  ", "       ", badge(f.severity()) + " " + f.code() + ": " + f.message());
      for (String e : f.evidence()) {
        wrap("       seen: ", "             ", e);
      }
      wrap("       fix:  ", "             ", f.fix());
    }
  }

  void field(String name, String value) {
    wrap(String.format(Locale.ROOT, "  %-14s", name + ":"), " ".repeat(16), value);
  }

  String badge(Verdict v) {
    String word = v.name().toUpperCase(Locale.ROOT);
    if (!colour) {
      return word;
    }
    String code = switch (v) {
      case PASS -> "32";
      case WARN -> "33";
      case FAIL -> "31";
      case UNKNOWN -> "35";
    };
    return "\u001b[1;" + code + "m" + word + "\u001b[0m";
  }

  /** Word-wraps {@code text} to {@link #WIDTH}; a token longer than a line is cut, never lost. */
  void wrap(String first, String rest, String text) {
    int room = WIDTH - rest.length();
    List<String> words = new ArrayList<>();
    for (String word : text.split(" ")) {
      while (visible(word) > room) {
        words.add(word.substring(0, room));
        word = word.substring(room);
      }
      words.add(word);
    }
    StringBuilder line = new StringBuilder(first);
    boolean empty = true;
    for (String word : words) {
      if (!empty && visible(line.toString()) + 1 + visible(word) > WIDTH) {
        out.println(line);
        line = new StringBuilder(rest);
        empty = true;
      }
      if (!empty) {
        line.append(' ');
      }
      line.append(word);
      empty = false;
    }
    out.println(line);
  }

  private static int visible(String s) {
    return s.replaceAll("\u001b\\[[0-9;]*m", "").length();
  }
}
