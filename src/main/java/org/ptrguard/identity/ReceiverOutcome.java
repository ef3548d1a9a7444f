package org.ptrguard.identity;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one receiver does with a message from an identity, from harmless to final.
 *
 * @param code the SMTP reply code and enhanced status ("550 5.7.25"), empty for accept and spam-score
 * @param score the spam score added (spam-score only)
 */
public record ReceiverOutcome(Kind kind, String code, double score) {
  /** Declared from least to most harmful: a receiver's result is its worst firing rule. */
  public enum Kind { ACCEPT, SPAM_SCORE, TEMPFAIL, REJECT }

  public static final ReceiverOutcome ACCEPT = new ReceiverOutcome(Kind.ACCEPT, "", 0);

  private static final Pattern SCORE = Pattern.compile("spam-score \\+(\\d{1,3}(\\.\\d{1,4})?)");
  private static final Pattern REFUSAL = Pattern.compile("(tempfail|reject) ([245]\\d\\d)( [245]\\.\\d{1,3}\\.\\d{1,3})?");

  /** Parses {@code accept}, {@code spam-score +N}, {@code tempfail CODE [X.Y.Z]}, {@code reject CODE [X.Y.Z]}. */
  public static ReceiverOutcome parse(String text) {
    String t = text.trim();
    if (t.equals("accept")) {
      return ACCEPT;
    }
    Matcher m = SCORE.matcher(t);
    if (m.matches()) {
      return new ReceiverOutcome(Kind.SPAM_SCORE, "", Double.parseDouble(m.group(1)));
    }
    m = REFUSAL.matcher(t);
    if (m.matches()) {
      Kind kind = m.group(1).equals("reject") ? Kind.REJECT : Kind.TEMPFAIL;
      char first = m.group(2).charAt(0);
      if ((kind == Kind.REJECT) != (first == '5')) {
        throw new IllegalArgumentException("'" + t + "': a reject needs a 5xx code and a tempfail a 4xx code");
      }
      String code = m.group(2) + (m.group(3) == null ? "" : m.group(3));
      if (m.group(3) != null && m.group(3).charAt(1) != first) {
        throw new IllegalArgumentException("'" + t + "': the enhanced status class differs from the reply code's");
      }
      return new ReceiverOutcome(kind, code, 0);
    }
    throw new IllegalArgumentException("'" + t + "' is not one of: accept, spam-score +N, tempfail CODE [X.Y.Z], reject CODE [X.Y.Z]");
  }

  public boolean refuses() {
    return kind == Kind.TEMPFAIL || kind == Kind.REJECT;
  }

  /** The form parse() reads: {@code reject 550 5.7.25}, {@code spam-score +2.4}. */
  public String text() {
    return switch (kind) {
      case ACCEPT -> "accept";
      case SPAM_SCORE -> "spam-score +" + number(score);
      case TEMPFAIL -> "tempfail " + code;
      case REJECT -> "reject " + code;
    };
  }

  /** Up to three decimals, without trailing zeros: 2.399, 1, 0.3. */
  public static String number(double value) {
    String s = String.format(Locale.ROOT, "%.3f", value);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
