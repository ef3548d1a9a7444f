package org.ptrguard.milter;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reply to one MTA event: CONTINUE, ACCEPT, REJECT, TEMPFAIL, DISCARD, or REPLYCODE with an SMTP
 * reply text that has been validated, so the MTA never sees a malformed reply (Postfix would log
 * "malformed reply" and apply milter_default_action).
 */
public final class MilterReply {
  public static final MilterReply CONTINUE = new MilterReply(MilterProtocol.SMFIR_CONTINUE, null);
  public static final MilterReply ACCEPT = new MilterReply(MilterProtocol.SMFIR_ACCEPT, null);
  public static final MilterReply REJECT = new MilterReply(MilterProtocol.SMFIR_REJECT, null);
  public static final MilterReply TEMPFAIL = new MilterReply(MilterProtocol.SMFIR_TEMPFAIL, null);
  public static final MilterReply DISCARD = new MilterReply(MilterProtocol.SMFIR_DISCARD, null);

  /** RFC 5321 allows 512 octets per reply line including CRLF. */
  public static final int MAX_LINE_LENGTH = 510;
  /** libmilter's smfi_setmlreply accepts at most 32 lines. */
  public static final int MAX_LINES = 32;

  private static final Pattern LINE = Pattern.compile("([45][0-9][0-9])([ -])(.*)", Pattern.DOTALL);
  private static final Pattern ENHANCED = Pattern.compile("([245])\\.(\\d{1,3})\\.(\\d{1,3})(?: .*)?", Pattern.DOTALL);
  private static final Pattern LOOKS_ENHANCED = Pattern.compile("\\d\\..*", Pattern.DOTALL);

  private final char code;
  private final String text; // as given (un-escaped), REPLYCODE only

  private MilterReply(char code, String text) {
    this.code = code;
    this.text = text;
  }

  /**
   * A REPLYCODE reply, e.g. {@code "451 4.7.25 text"} or multi-line
   * {@code "451-4.7.25 a\r\n451 4.7.25 b"}. Each line is {@code [45]dd} then '-' (all but the last
   * line) or ' ' (the last line), with the same code on every line; an enhanced status code, when
   * present, must be {@code class.subject.detail} with the reply's class; only printable ASCII and
   * CRLF line separators; {@code %} is doubled on the wire.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static MilterReply replyCode(String smtpReply) {
    validate(smtpReply);
    return new MilterReply(MilterProtocol.SMFIR_REPLYCODE, smtpReply);
  }

  private static void validate(String reply) {
    if (reply == null || reply.isEmpty()) {
      throw new IllegalArgumentException("SMTP reply is empty");
    }
    if (reply.endsWith("\r\n")) {
      throw new IllegalArgumentException("SMTP reply must not end with CRLF");
    }
    String[] lines = reply.split("\r\n", -1);
    if (lines.length > MAX_LINES) {
      throw new IllegalArgumentException("SMTP reply has " + lines.length + " lines, at most " + MAX_LINES + " allowed");
    }
    String firstCode = null;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String where = lines.length == 1 ? "SMTP reply" : "SMTP reply line " + (i + 1);
      checkCharacters(line, where);
      if (line.length() > MAX_LINE_LENGTH) {
        throw new IllegalArgumentException(where + " is longer than " + MAX_LINE_LENGTH + " characters");
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new IllegalArgumentException(where + " must start with a 4xx or 5xx code followed by ' ' or '-': '" + line + "'");
      }
      if (firstCode == null) {
        firstCode = m.group(1);
      } else if (!firstCode.equals(m.group(1))) {
        throw new IllegalArgumentException(where + " has code " + m.group(1) + " but the first line has " + firstCode);
      }
      boolean last = i == lines.length - 1;
      char separator = m.group(2).charAt(0);
      if (last && separator != ' ') {
        throw new IllegalArgumentException(where + " is the last line and must have ' ' after the code");
      }
      if (!last && separator != '-') {
        throw new IllegalArgumentException(where + " is not the last line and must have '-' after the code");
      }
      checkEnhanced(m.group(3), firstCode.charAt(0), where);
    }
  }

  private static void checkCharacters(String line, String where) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\r' || c == '\n') {
        throw new IllegalArgumentException(where + " contains CR or LF other than as CRLF line separator");
      }
      if (c < 0x20 || c > 0x7e) {
        throw new IllegalArgumentException(where + " contains a control or non-ASCII character (0x"
            + Integer.toHexString(c) + ")");
      }
    }
  }

  private static void checkEnhanced(String rest, char replyClass, String where) {
    if (!LOOKS_ENHANCED.matcher(rest).matches()) {
      return;
    }
    Matcher e = ENHANCED.matcher(rest);
    if (!e.matches()) {
      throw new IllegalArgumentException(where + " has a malformed enhanced status code (want class.subject.detail, e.g. 4.7.1)");
    }
    if (e.group(1).charAt(0) != replyClass) {
      throw new IllegalArgumentException(where + " has enhanced status class " + e.group(1)
          + " but reply class " + replyClass);
    }
  }

  /** The SMFIR_* reply code. */
  public char code() {
    return code;
  }

  /** The SMTP reply text as given (REPLYCODE only). */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  /**
   * Whether this reply ends the SMTP session's dealings with the milter when given at CONNECT or
   * HELO: Postfix then closes the milter socket.
   */
  boolean endsConnection() {
    return code == MilterProtocol.SMFIR_ACCEPT || code == MilterProtocol.SMFIR_REJECT
        || code == MilterProtocol.SMFIR_TEMPFAIL || code == MilterProtocol.SMFIR_REPLYCODE;
  }

  /** The payload on the wire: for REPLYCODE the text with '%' doubled and a NUL; else nothing. */
  byte[] payload() {
    if (text == null) {
      return new byte[0];
    }
    byte[] t = text.replace("%", "%%").getBytes(StandardCharsets.US_ASCII);
    return Arrays.copyOf(t, t.length + 1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MilterReply r && r.code == code && java.util.Objects.equals(r.text, text);
  }

  @Override
  public int hashCode() {
    return code * 31 + (text == null ? 0 : text.hashCode());
  }

  @Override
  public String toString() {
    return switch (code) {
      case MilterProtocol.SMFIR_CONTINUE -> "CONTINUE";
      case MilterProtocol.SMFIR_ACCEPT -> "ACCEPT";
      case MilterProtocol.SMFIR_REJECT -> "REJECT";
      case MilterProtocol.SMFIR_TEMPFAIL -> "TEMPFAIL";
      case MilterProtocol.SMFIR_DISCARD -> "DISCARD";
      default -> "REPLYCODE(" + text + ")";
    };
  }
}
