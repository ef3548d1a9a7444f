package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ptrguard.identity.ReceiverMatrix;
import org.ptrguard.identity.ReceiverOutcome;
import org.ptrguard.identity.ReceiverVerdict;

/**
 * The receiver matrix of one identity in the reports of {@code check}, {@code routes} and
 * {@code status}: JSON, and text rendered from that JSON, so that {@code status} (which only has the
 * daemon's JSON document) prints exactly what {@code check} prints.
 */
final class ReceiverMatrixOutput {
  private static final String INDENT = " ".repeat(18);

  private ReceiverMatrixOutput() {}

  /** One block per receiver: its outcome, then each rule that fired with the reply and where it is published. */
  static void print(CheckReport report, ReceiverMatrix matrix) {
    print(report, json(matrix));
  }

  /** The same from the JSON rows of {@link #json} (as the daemon's status carries them). */
  @SuppressWarnings("unchecked")
  static void print(CheckReport report, List<Object> rows) {
    report.wrap("  ", "  ", "receivers (what each kind of receiver does with this identity's mail):");
    for (Object o : rows) {
      Map<String, Object> row = (Map<String, Object>) o;
      report.wrap(String.format(Locale.ROOT, "    %-13s ", row.get("receiver")), INDENT, outcomeOf(row).text());
      for (Object r : (List<Object>) row.getOrDefault("rules", List.of())) {
        Map<String, Object> rule = (Map<String, Object>) r;
        ReceiverOutcome fired = outcomeOf(rule);
        String outcome = fired.kind() == ReceiverOutcome.Kind.SPAM_SCORE
            ? fired.text().substring("spam-score ".length()) : fired.text();
        report.wrap(INDENT + "- ", INDENT + "  ", rule.get("name") + " (" + outcome + ")");
        if (rule.get("reply") != null) {
          report.wrap(INDENT + "  reply: ", INDENT + "         ", String.valueOf(rule.get("reply")));
        }
        report.wrap(INDENT + "  source: ", INDENT + "          ", String.valueOf(rule.get("source")));
        if (rule.get("note") != null) {
          report.wrap(INDENT + "  note: ", INDENT + "        ", String.valueOf(rule.get("note")));
        }
      }
    }
  }

  /** The matrix as a JSON list, one object per receiver profile. */
  static List<Object> json(ReceiverMatrix matrix) {
    List<Object> rows = new ArrayList<>();
    for (ReceiverVerdict v : matrix.rows()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("receiver", v.label());
      row.put("profile", v.profile().id());
      row.put("title", v.profile().title());
      outcome(row, v.outcome());
      List<Object> rules = new ArrayList<>();
      for (ReceiverVerdict.Fired f : v.fired()) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("name", f.rule().name());
        outcome(rule, f.rule().outcome());
        rule.put("reply", f.reply().orElse(null));
        rule.put("source", f.rule().source());
        rule.put("note", f.rule().note().orElse(null));
        rules.add(rule);
      }
      row.put("rules", rules);
      rows.add(row);
    }
    return rows;
  }

  private static void outcome(Map<String, Object> into, ReceiverOutcome o) {
    into.put("outcome", o.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    into.put("code", o.code().isEmpty() ? null : o.code());
    into.put("score", o.kind() == ReceiverOutcome.Kind.SPAM_SCORE ? (Object) o.score() : null);
  }

  /** The outcome that {@link #outcome(Map, ReceiverOutcome)} wrote. */
  private static ReceiverOutcome outcomeOf(Map<String, Object> from) {
    ReceiverOutcome.Kind kind = ReceiverOutcome.Kind.valueOf(
        String.valueOf(from.get("outcome")).toUpperCase(Locale.ROOT).replace('-', '_'));
    String code = from.get("code") == null ? "" : String.valueOf(from.get("code"));
    double score = from.get("score") instanceof Number n ? n.doubleValue() : 0;
    return new ReceiverOutcome(kind, code, score);
  }
}
