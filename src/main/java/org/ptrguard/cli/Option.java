package org.ptrguard.cli;

import java.util.List;
import java.util.Optional;

/**
 * One command-line option as declared once for parsing, {@code --help}, ptrguard(8) and the bash
 * completion. {@code value} is the placeholder of its argument ({@code FILE}); empty for a flag.
 *
 * @param name long name without dashes ({@code config})
 * @param shortName one-letter alias ({@code c}), or empty
 * @param value placeholder of the value, empty for a flag
 * @param defaultText what applies when the option is not given, in words
 * @param help one sentence: what the option does
 * @param repeatable whether it may be given more than once (values accumulate)
 * @param completion what bash completes for the value: {@link #FILES}, {@link #NOTHING} or fixed words
 */
public record Option(String name, Optional<Character> shortName, Optional<String> value, String defaultText,
    String help, boolean repeatable, List<String> completion) {
  /** Completion marker: complete file names. */
  public static final List<String> FILES = List.of("<file>");
  /** Completion marker: complete directory names. */
  public static final List<String> DIRECTORIES = List.of("<dir>");
  /** Completion marker: nothing to complete (an address, a name). */
  public static final List<String> NOTHING = List.of();

  public Option {
    shortName = shortName == null ? Optional.empty() : shortName;
    value = value == null ? Optional.empty() : value;
    completion = List.copyOf(completion);
  }

  /** An option taking a value. */
  public static Option valued(String name, String value, String defaultText, String help) {
    return new Option(name, Optional.empty(), Optional.of(value), defaultText, help, false, NOTHING);
  }

  /** An option without a value. */
  public static Option flag(String name, String help) {
    return new Option(name, Optional.empty(), Optional.empty(), "off", help, false, NOTHING);
  }

  public Option withShort(char c) {
    return new Option(name, Optional.of(c), value, defaultText, help, repeatable, completion);
  }

  public Option many() {
    return new Option(name, shortName, value, defaultText, help, true, completion);
  }

  public Option completing(List<String> words) {
    return new Option(name, shortName, value, defaultText, help, repeatable, words);
  }

  public boolean takesValue() {
    return value.isPresent();
  }

  /** "-c, --config=FILE" */
  public String label() {
    String longForm = "--" + name + value.map(v -> "=" + v).orElse("");
    return shortName.map(c -> "-" + c + ", " + longForm).orElse(longForm);
  }

  /** "[--config FILE]" or "[--ip IP]..." for a synopsis. */
  public String synopsis() {
    String s = "[" + shortName.map(c -> "-" + c).orElse("--" + name) + value.map(v -> " " + v).orElse("") + "]";
    return repeatable ? s + "..." : s;
  }
}
