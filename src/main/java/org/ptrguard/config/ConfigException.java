package org.ptrguard.config;

import java.util.List;

/**
 * A configuration that cannot be used. The message is meant for the admin as it is: one line per
 * problem, each naming the file, line and key, never a stack trace.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  public ConfigException(String problem) {
    this(List.of(problem));
  }

  public List<String> problems() {
    return problems;
  }
}
