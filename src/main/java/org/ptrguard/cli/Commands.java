package org.ptrguard.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.ptrguard.ops.BuildInfo;

/**
 * Every {@code ptrguard} command, in the order help and ptrguard(8) list them, and the dispatch from
 * {@code main}. To add a command: declare its {@link Command} (options, exit codes, runner) as a
 * {@code SPEC} constant in its class and add it to {@link #ALL}; help, the man page and the bash
 * completion follow.
 */
public final class Commands {
  /** sysexits(3). */
  public static final int EXIT_USAGE = 64;
  public static final int EXIT_UNAVAILABLE = 69;
  public static final int EXIT_SOFTWARE = 70;
  public static final int EXIT_CONFIG = 78;

  static final String DESCRIPTION = "ptrguard is a pre-send guard for Postfix: a milter that checks the mail "
      + "server's own outbound identity (source address, PTR record, forward-confirmed reverse DNS, EHLO name) "
      + "the way strict receivers do, and in enforce mode keeps mail in the queue while that identity is broken.";

  public static final List<Command> ALL = List.of(ServeCommand.SPEC, CheckCommand.SPEC, ConfigCommand.SPEC,
      RoutesCommand.ROUTES_SPEC, RoutesCommand.ROUTE_SPEC, ScanLogCommand.SPEC, ControlCommands.STATUS_SPEC,
      ControlCommands.RECHECK_SPEC);

  private Commands() {}

  public static Optional<Command> named(String name) {
    return ALL.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /** {@code ptrguard ARGS...}: the command's exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      return ServeCommand.SPEC.run().run(args, out, err);
    }
    String first = args[0];
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (first) {
      case "-V", "--version" -> {
        if (rest.length > 0) {
          return usageError(err, "ptrguard", "unexpected argument '" + rest[0] + "'", "usage: ptrguard --version");
        }
        out.println("ptrguard " + BuildInfo.version());
        return 0;
      }
      case "-h", "--help" -> {
        out.print(Help.overview(ALL));
        return 0;
      }
      case "help" -> {
        return help(rest, out, err);
      }
      default -> {
        if (first.startsWith("-")) {
          // Options only: serve, as the unit's ExecStart and `java -jar ptrguard.jar --config FILE` expect.
          return ServeCommand.SPEC.run().run(args, out, err);
        }
        Optional<Command> command = named(first);
        if (command.isEmpty()) {
          return usageError(err, "ptrguard", "unknown command '" + first + "'", overviewUsage());
        }
        return command.get().run().run(rest, out, err);
      }
    }
  }

  private static int help(String[] rest, PrintStream out, PrintStream err) {
    if (rest.length == 0) {
      out.print(Help.overview(ALL));
      return 0;
    }
    if (rest.length > 1) {
      return usageError(err, "ptrguard help", "unexpected argument '" + rest[1] + "'", "usage: ptrguard help [COMMAND]");
    }
    Optional<Command> command = named(rest[0]);
    if (command.isEmpty()) {
      return usageError(err, "ptrguard help", "unknown command '" + rest[0] + "'", overviewUsage());
    }
    out.print(Help.of(command.get()));
    return 0;
  }

  static String overviewUsage() {
    return "usage: ptrguard [" + String.join("|", ALL.stream().map(Command::name).toList()) + "|help] [OPTIONS]";
  }

  private static int usageError(PrintStream err, String who, String problem, String usage) {
    err.println(who + ": " + problem);
    err.println(usage);
    return EXIT_USAGE;
  }

  /**
   * Parses a command's arguments. {@code --help} prints the help to {@code out} and ends the command
   * with 0; a usage error prints one line naming the problem and the usage line to {@code err} and ends
   * it with 64.
   */
  public static Arguments parse(Command command, String[] args, PrintStream out, PrintStream err) throws CommandExit {
    try {
      Arguments a = ArgumentParser.parse(command, args);
      if (a.help()) {
        out.print(Help.of(command));
        throw new CommandExit(0);
      }
      return a;
    } catch (UsageException e) {
      usageError(err, "ptrguard " + command.name(), e.getMessage(), command.usage());
      throw new CommandExit(EXIT_USAGE);
    }
  }

  /** Reports a usage problem found after parsing (a value of the wrong form): exit 64. */
  public static int usageError(Command command, PrintStream err, String problem) {
    return usageError(err, "ptrguard " + command.name(), problem, command.usage());
  }
}
