package org.ptrguard.testing;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SMTP server reply: the three-digit code, the RFC 3463 enhanced code when the server sent one,
 * and the text of every line (without code and separator).
 */
public record SmtpReply(int code, Optional<String> enhancedCode, List<String> rawLines) {
  private static final Pattern LINE = Pattern.compile("^(\\d{3})([ -])(.*)$");
  private static final Pattern ENHANCED = Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?: |$)");

  /** Builds a reply from its raw lines, e.g. {@code ["250-first", "250 2.0.0 Ok"]}. */
  public static SmtpReply parse(List<String> rawLines) {
    if (rawLines.isEmpty()) {
      throw new IllegalArgumentException("empty SMTP reply");
    }
    int code = -1;
    for (String line : rawLines) {
      Matcher matcher = LINE.matcher(line);
      if (!matcher.matches() && !line.matches("\\d{3}")) {
        throw new IllegalArgumentException("malformed SMTP reply line: " + line);
      }
      int lineCode = Integer.parseInt(line.substring(0, 3));
      if (code != -1 && lineCode != code) {
        throw new IllegalArgumentException("reply lines with different codes: " + rawLines);
      }
      code = lineCode;
    }
    Matcher enhanced = ENHANCED.matcher(text(rawLines.get(rawLines.size() - 1)));
    return new SmtpReply(code, enhanced.find() ? Optional.of(enhanced.group(1)) : Optional.empty(),
        List.copyOf(rawLines));
  }

  /** The last line exactly as sent, e.g. {@code "451 4.7.25 Client host rejected"}. */
  public String line() {
    return rawLines.get(rawLines.size() - 1);
  }

  /** Text of every line after the code and separator, enhanced code included; joined with "\n". */
  public String text() {
    return String.join("\n", rawLines.stream().map(SmtpReply::text).toList());
  }

  /** Text of the last line after the enhanced code (or after the code when there is none). */
  public String message() {
    String last = text(line());
    return enhancedCode.map(e -> last.substring(Math.min(last.length(), e.length() + 1))).orElse(last);
  }

  public boolean positive() {
    return code >= 200 && code < 400;
  }

  public boolean transientFailure() {
    return code >= 400 && code < 500;
  }

  public boolean permanentFailure() {
    return code >= 500;
  }

  private static String text(String line) {
    return line.length() > 4 ? line.substring(4) : "";
  }

  /** The reply as the client received it, lines joined with CRLF. */
  @Override
  public String toString() {
    return String.join("\r\n", rawLines);
  }
}
