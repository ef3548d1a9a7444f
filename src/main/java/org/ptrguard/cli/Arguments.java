package org.ptrguard.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed command line: option values by long name (in the order given) and the operands.
 * {@code help} is set when {@code -h}/{@code --help} was given; nothing else is checked then.
 */
public record Arguments(Map<String, List<String>> values, List<String> operands, boolean help) {
  public Arguments {
    values = Map.copyOf(values);
    operands = List.copyOf(operands);
  }

  public List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  /** The last value given (a later option overrides an earlier one, as in most GNU tools). */
  public Optional<String> value(String name) {
    List<String> v = all(name);
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  /** {@code --config FILE}, shared by every command that reads the configuration. */
  public Optional<Path> config() {
    return value("config").map(Path::of);
  }
}
