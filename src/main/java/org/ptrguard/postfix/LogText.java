package org.ptrguard.postfix;

/**
 * Makes text taken from a log line safe to keep and print: control characters (C0, DEL, C1), line
 * and paragraph separators, bidi and zero-width characters become {@code \xNN} / {@code \\uNNNN}
 * escapes, and the text is cut to a maximum length with "..." appended. A receiver's reply is
 * network input relayed by Postfix; ptrguard's own log, {@code scan-log} output and the terminal
 * must never receive it raw.
 */
public final class LogText {
  /** Longest receiver reply kept: real replies, joined, stay well below (Postfix's own line limit is 2 KiB-ish). */
  public static final int MAX_TEXT = 1000;

  private LogText() {}

  /** {@code s} escaped and cut to {@code max} characters of input. */
  public static String safe(String s, int max) {
    boolean cut = s.length() > max;
    String in = cut ? s.substring(0, max) : s;
    StringBuilder out = null;
    for (int i = 0; i < in.length(); i++) {
      char c = in.charAt(i);
      String escape = escape(c);
      if (escape != null && out == null) {
        out = new StringBuilder(in.length() + 16).append(in, 0, i);
      }
      if (out != null) {
        if (escape != null) {
          out.append(escape);
        } else {
          out.append(c);
        }
      }
    }
    String result = out == null ? in : out.toString();
    return cut ? result + "..." : result;
  }

  public static String safe(String s) {
    return safe(s, MAX_TEXT);
  }

  /** True when {@code s} holds nothing {@link #safe} would escape. */
  public static boolean isSafe(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (escape(s.charAt(i)) != null) {
        return false;
      }
    }
    return true;
  }

  private static String escape(char c) {
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
      return String.format(java.util.Locale.ROOT, "\\x%02x", (int) c);
    }
    int type = Character.getType(c);
    if (type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT
        || Character.isSurrogate(c)) {
      return String.format(java.util.Locale.ROOT, "\\u%04x", (int) c);
    }
    return null;
  }
}
