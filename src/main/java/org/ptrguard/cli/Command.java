package org.ptrguard.cli;

import java.util.List;
import java.util.Optional;

/**
 * One {@code ptrguard} command, declared once: {@link ArgumentParser} parses its options, and
 * {@link Help}, {@link ManPage} and {@link BashCompletion} render its help text, its section of
 * ptrguard(8) and its completion from this same record, so they cannot drift apart. Adding a command
 * is one such record in {@link Commands#ALL}.
 *
 * @param name the word after {@code ptrguard}
 * @param operands extra synopsis text for positional operands (e.g. {@code [ROUTE]}), or ""
 * @param summary one line for command lists
 * @param description what it does, a few sentences (plain text; paragraphs separated by blank lines)
 * @param options every option it accepts (besides {@code -h/--help})
 * @param conflicts pairs of option names that must not be given together
 * @param exitCodes every exit status it can end with, and what it means
 * @param maxOperands how many positional operands it accepts (0 for none)
 * @param run the entry point, given the raw arguments after the command name
 */
public record Command(String name, String operands, String summary, String description, List<Option> options,
    List<List<String>> conflicts, List<ExitCode> exitCodes, int maxOperands, Runner run) {

  /** The command's main: raw arguments (after the command name) to exit status. */
  @FunctionalInterface
  public interface Runner {
    int run(String[] args, java.io.PrintStream out, java.io.PrintStream err);
  }

  /** An exit status and its meaning. */
  public record ExitCode(int code, String meaning) {}

  public Command {
    options = List.copyOf(options);
    conflicts = conflicts.stream().map(List::copyOf).toList();
    exitCodes = List.copyOf(exitCodes);
  }

  public Optional<Option> option(String longName) {
    return options.stream().filter(o -> o.name().equals(longName)).findFirst();
  }

  /** "ptrguard check [-c FILE] [--ip IP]... [--json]" */
  public String synopsis() {
    StringBuilder s = new StringBuilder("ptrguard ").append(name);
    options.forEach(o -> s.append(' ').append(o.synopsis()));
    if (!operands.isEmpty()) {
      s.append(' ').append(operands);
    }
    return s.toString();
  }

  /** "usage: ptrguard check ..." as printed with a usage error. */
  public String usage() {
    return "usage: " + synopsis();
  }
}
