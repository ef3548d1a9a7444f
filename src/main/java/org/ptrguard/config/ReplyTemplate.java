package org.ptrguard.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The enforce.reply template: an SMTP reply with {placeholders}. Checked at load time with sample
 * values so that a typo never turns into a malformed reply that Postfix would discard.
 */
public final class ReplyTemplate {
  public static final Set<String> PLACEHOLDERS = Set.of("ip", "identity", "verdict", "code", "reason");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");
  // A temporary reply with an enhanced status code of the same class: what Postfix accepts and what
  // keeps mail in the client's queue instead of bouncing it.
  private static final Pattern TEMPORARY_REPLY = Pattern.compile("4\\d\\d 4\\.\\d{1,3}\\.\\d{1,3} \\S.*");

  private ReplyTemplate() {}

  static Optional<String> problem(String template) {
    Matcher m = PLACEHOLDER.matcher(template);
    while (m.find()) {
      if (!PLACEHOLDERS.contains(m.group(1))) {
        return Optional.of("unknown placeholder {" + m.group(1) + "}; use " + String.join(", ", PLACEHOLDERS.stream().sorted().map(p -> "{" + p + "}").toList()));
      }
    }
    String sample = expand(template, Map.of("ip", "192.0.2.1", "identity", "default", "verdict", "fail",
        "code", "ptr.missing", "reason", "no PTR record"));
    // SMTP replies are ASCII (RFC 5321 4.2); Postfix would refuse anything else from the milter.
    if (sample.chars().anyMatch(ch -> ch < 0x20 || ch >= 0x7f)) {
      return Optional.of("must be a single line of printable ASCII (no control or non-ASCII characters)");
    }
    if (!TEMPORARY_REPLY.matcher(sample).matches()) {
      return Optional.of("'" + template + "' must look like \"451 4.7.25 text\": a 4xx code, an enhanced code 4.x.y, then text"
          + " (ptrguard only defers mail, it never rejects it permanently)");
    }
    if (sample.length() > 500) {
      return Optional.of("is too long for an SMTP reply line (keep it under 500 characters)");
    }
    return Optional.empty();
  }

  /** Replaces each {name} with its value; unknown names stay as written. */
  public static String expand(String template, Map<String, String> values) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.getOrDefault(m.group(1), m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
