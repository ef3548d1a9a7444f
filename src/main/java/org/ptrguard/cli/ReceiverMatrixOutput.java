package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ptrguard.identity.ReceiverMatrix;
import org.ptrguard.identity.ReceiverOutcome;
import org.ptrguard.identity.ReceiverVerdict;

/** The receiver matrix of one identity in the reports of {@code check} and {@code routes}: text and JSON. */
final class ReceiverMatrixOutput {
  private static final String INDENT = " ".repeat(18);

  private ReceiverMatrixOutput() {}

  /** One block per receiver: its outcome, then each rule that fired with the reply and where it is published. */
  static void print(CheckReport report, ReceiverMatrix matrix) {
    report.wrap("  ", "  ", "receivers (what each kind of receiver does with this identity's mail):");
    for (ReceiverVerdict v : matrix.rows()) {
      report.wrap(String.format(Locale.ROOT, "    %-13s ", v.label()), INDENT, v.outcome().text());
      for (ReceiverVerdict.Fired f : v.fired()) {
        String outcome = f.rule().outcome().kind() == ReceiverOutcome.Kind.SPAM_SCORE
            ? f.rule().outcome().text().substring("spam-score ".length()) : f.rule().outcome().text();
        report.wrap(INDENT + "- ", INDENT + "  ", f.rule().name() + " (" + outcome + ")");
        f.reply().ifPresent(r -> report.wrap(INDENT + "  reply: ", INDENT + "         ", r));
        report.wrap(INDENT + "  source: ", INDENT + "          ", f.rule().source());
        f.rule().note().ifPresent(n -> report.wrap(INDENT + "  note: ", INDENT + "        ", n));
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
}
