package org.ptrguard.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The enforce.reply template: an SMTP reply with {placeholders}. Checked at load time with sample
 * values so that a typo never turns into a malformed reply that Postfix would discard, and held split
 * into literal text and placeholder names so that a decision only fills it in.
 */
public final class ReplyTemplate {
  public static final Set<String> PLACEHOLDERS = Set.of("ip", "identity", "verdict", "code", "reason");
  /** Longest template ptrguard accepts, well inside SMTP's reply line limit once filled in. */
  static final int MAX_LENGTH = 500;
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");
  // A temporary reply with an enhanced status code of the same class: what Postfix accepts and what
  // keeps mail in the client's queue instead of bouncing it.
  private static final Pattern TEMPORARY_REPLY = Pattern.compile("4\\d\\d 4\\.\\d{1,3}\\.\\d{1,3} \\S.*");

  private final String text;
  /** Even indexes are literal text, odd indexes placeholder names; always odd in length. */
  private final List<String> parts;

  private ReplyTemplate(String text, List<String> parts) {
    this.text = text;
    this.parts = parts;
  }

  /** @throws IllegalArgumentException with the problem, as {@link #problem} words it */
  public static ReplyTemplate parse(String template) {
    problem(template).ifPresent(p -> {
      throw new IllegalArgumentException(p);
    });
    return split(template);
  }

  private static ReplyTemplate split(String template) {
    List<String> parts = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(template);
    int at = 0;
    while (m.find()) {
      parts.add(template.substring(at, m.start()));
      parts.add(m.group(1));
      at = m.end();
    }
    parts.add(template.substring(at));
    return new ReplyTemplate(template, List.copyOf(parts));
  }

  static Optional<String> problem(String template) {
    Matcher m = PLACEHOLDER.matcher(template);
    while (m.find()) {
      if (!PLACEHOLDERS.contains(m.group(1))) {
        return Optional.of("unknown placeholder {" + m.group(1) + "}; use " + String.join(", ", PLACEHOLDERS.stream().sorted().map(p -> "{" + p + "}").toList()));
      }
    }
    String sample = split(template).expand(Map.of("ip", "192.0.2.1", "identity", "default", "verdict", "fail",
        "code", "ptr.missing", "reason", "no PTR record"));
    // SMTP replies are ASCII (RFC 5321 4.2); Postfix would refuse anything else from the milter.
    if (sample.chars().anyMatch(ch -> ch < 0x20 || ch >= 0x7f)) {
      return Optional.of("must be a single line of printable ASCII (no control or non-ASCII characters)");
    }
    if (!TEMPORARY_REPLY.matcher(sample).matches()) {
      return Optional.of("'" + template + "' must look like \"451 4.7.25 text\": a 4xx code, an enhanced code 4.x.y, then text"
          + " (ptrguard only defers mail, it never rejects it permanently)");
    }
    if (sample.length() > MAX_LENGTH) {
      return Optional.of("is too long for an SMTP reply line (keep it under " + MAX_LENGTH + " characters)");
    }
    return Optional.empty();
  }

  /** Replaces each {name} with its value; names without a value stay as written. */
  public String expand(Map<String, String> values) {
    StringBuilder out = new StringBuilder(text.length() + 64);
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      out.append(i % 2 == 0 ? part : values.getOrDefault(part, "{" + part + "}"));
    }
    return out.toString();
  }

  /** The template as configured. */
  public String text() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReplyTemplate t && t.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
