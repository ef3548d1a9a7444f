package org.ptrguard.ops;

import java.util.Locale;

/**
 * Renders values for logfmt lines. Anything that came from the network (HELO names, addresses,
 * macros) goes through here, so no CR, LF, NUL, escape sequence or megabyte-long value reaches the
 * journal or a terminal as is.
 */
public final class LogValues {
  public static final int MAX_LENGTH = 200;

  private LogValues() {}

  /** The value as a logfmt value: bare when safe, otherwise quoted with escapes; "" for null. */
  public static String of(Object value) {
    String s = value == null ? "" : value.toString();
    if (plain(s)) {
      return s; // the usual case (addresses, host names, codes): nothing to escape, no copy
    }
    boolean truncated = s.length() > MAX_LENGTH;
    if (truncated) {
      s = s.substring(0, MAX_LENGTH);
    }
    StringBuilder out = new StringBuilder(s.length() + 8);
    boolean quote = s.isEmpty() || truncated;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
        quote = true;
      } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
        quote = true;
      } else if (invisibleOrBreaking(c)) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
        quote = true;
      } else {
        if (c == ' ' || c == '=') {
          quote = true;
        }
        out.append(c);
      }
    }
    if (truncated) {
      out.append("...");
    }
    return quote ? "\"" + out + "\"" : out.toString();
  }

  /** Non-empty, short enough, and only printable ASCII that needs neither quotes nor escapes. */
  private static boolean plain(String s) {
    if (s.isEmpty() || s.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=') {
        return false;
      }
    }
    return true;
  }

  /**
   * Characters that end a line for some viewers (U+2028, U+2029), reorder or hide text in a
   * terminal (bidi overrides such as U+202E, zero-width characters: Unicode category Cf), and
   * surrogates (a pair may be cut in two by the truncation above).
   */
  private static boolean invisibleOrBreaking(char c) {
    int type = Character.getType(c);
    return type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT
        || Character.isSurrogate(c);
  }
}
