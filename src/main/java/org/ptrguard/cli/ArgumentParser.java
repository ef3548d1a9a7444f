package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * GNU-style parsing against a {@link Command}'s declared options: {@code --opt value},
 * {@code --opt=value}, {@code -c value}, {@code -cvalue}, flags, {@code --} ending the options, and
 * {@code -h}/{@code --help}. Every mistake is a {@link UsageException} naming it: an unknown option,
 * a missing or empty value, a value given to a flag, a repeated single-valued option given twice with
 * different values, conflicting options, too many operands.
 */
public final class ArgumentParser {
  private ArgumentParser() {}

  public static Arguments parse(Command command, String[] args) throws UsageException {
    Map<String, List<String>> values = new LinkedHashMap<>();
    List<String> operands = new ArrayList<>();
    boolean help = false;
    boolean optionsEnded = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (optionsEnded || arg.equals("-") || !arg.startsWith("-")) {
        operands.add(arg);
        continue;
      }
      if (arg.equals("--")) {
        optionsEnded = true;
        continue;
      }
      if (arg.equals("-h") || arg.equals("--help")) {
        help = true;
        continue;
      }
      String spelled;
      Option option;
      Optional<String> attached;
      if (arg.startsWith("--")) {
        int eq = arg.indexOf('=');
        spelled = eq < 0 ? arg : arg.substring(0, eq);
        attached = eq < 0 ? Optional.empty() : Optional.of(arg.substring(eq + 1));
        String name = spelled.substring(2);
        option = command.option(name).orElseThrow(() -> new UsageException("unknown option '" + spelled + "'"));
      } else {
        char c = arg.charAt(1);
        spelled = "-" + c;
        attached = arg.length() > 2 ? Optional.of(arg.substring(2)) : Optional.empty();
        option = command.options().stream().filter(o -> o.shortName().equals(Optional.of(c))).findFirst()
            .orElseThrow(() -> new UsageException("unknown option '" + spelled + "'"));
      }
      String value;
      if (!option.takesValue()) {
        if (attached.isPresent()) {
          throw new UsageException("option '" + spelled + "' takes no value");
        }
        value = "";
      } else if (attached.isPresent()) {
        value = attached.get();
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new UsageException("option '" + spelled + "' needs a value (" + option.value().get() + ")");
      }
      if (option.takesValue() && value.isEmpty()) {
        throw new UsageException("option '" + spelled + "' has an empty value");
      }
      List<String> given = values.computeIfAbsent(option.name(), k -> new ArrayList<>());
      if (!option.repeatable() && !given.isEmpty() && !given.contains(value)) {
        throw new UsageException("option '--" + option.name() + "' given twice with different values");
      }
      given.add(value);
    }
    if (help) {
      return new Arguments(values, operands, true);
    }
    for (List<String> pair : command.conflicts()) {
      if (values.containsKey(pair.get(0)) && values.containsKey(pair.get(1))) {
        throw new UsageException("options '--" + pair.get(0) + "' and '--" + pair.get(1) + "' cannot be used together");
      }
    }
    if (operands.size() > command.maxOperands()) {
      throw new UsageException("unexpected argument '" + operands.get(command.maxOperands()) + "'");
    }
    return new Arguments(values, operands, false);
  }
}
