package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Plain-text help of a command ({@code ptrguard help CMD}, {@code CMD --help}) and of ptrguard itself. */
public final class Help {
  static final int WIDTH = 80;
  static final String HELP_OPTION = "-h, --help";
  static final String HELP_TEXT = "Print this help and exit.";

  private Help() {}

  public static String of(Command c) {
    StringBuilder s = new StringBuilder();
    s.append(c.usage()).append("\n\n");
    for (String paragraph : c.description().split("\n\n")) {
      wrap(paragraph, "", s);
      s.append('\n');
    }
    s.append("Options:\n");
    for (Option o : c.options()) {
      s.append("  ").append(o.label()).append('\n');
      String text = o.help() + (o.repeatable() ? " May be given more than once." : "");
      wrap(text, "        ", s);
      if (o.takesValue()) {
        wrap("Default: " + o.defaultText() + ".", "        ", s);
      }
    }
    s.append("  ").append(HELP_OPTION).append('\n');
    wrap(HELP_TEXT, "        ", s);
    s.append("\nExit status:\n");
    for (Command.ExitCode e : c.exitCodes()) {
      String code = String.valueOf(e.code());
      wrap(e.meaning(), "  " + code + " ".repeat(Math.max(1, 6 - code.length())), "        ", s);
    }
    return s.toString();
  }

  /** {@code ptrguard --help} and {@code ptrguard help}: every command with its summary. */
  public static String overview(List<Command> commands) {
    StringBuilder s = new StringBuilder();
    s.append("usage: ptrguard [COMMAND] [OPTIONS]\n\n");
    wrap(Commands.DESCRIPTION, "", s);
    s.append("\nCommands:\n");
    for (Command c : commands) {
      s.append(String.format(Locale.ROOT, "  %-10s %s%n", c.name(), c.summary()));
    }
    s.append(String.format(Locale.ROOT, "  %-10s %s%n", "help", "Print the help of a command: ptrguard help COMMAND."));
    s.append("\nOptions:\n");
    s.append("  -V, --version   Print the version and exit.\n");
    s.append("  -h, --help      Print this help and exit.\n\n");
    wrap("With no command, or with options only, ptrguard runs serve, as the systemd unit does. "
        + "'ptrguard help COMMAND' or 'ptrguard COMMAND --help' lists the command's options, their defaults "
        + "and its exit codes; man ptrguard and man ptrguard.conf have everything.", "", s);
    return s.toString();
  }

  static void wrap(String text, String indent, StringBuilder out) {
    wrap(text, indent, indent, out);
  }

  /** Word-wraps to {@link #WIDTH} columns; the first line starts with {@code first}, the rest with {@code rest}. */
  static void wrap(String text, String first, String rest, StringBuilder out) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder(first);
    boolean empty = true;
    for (String word : text.strip().split("\\s+")) {
      if (!empty && line.length() + 1 + word.length() > WIDTH) {
        lines.add(line.toString());
        line = new StringBuilder(rest);
        empty = true;
      }
      if (!empty) {
        line.append(' ');
      }
      line.append(word);
      empty = false;
    }
    lines.add(line.toString());
    lines.forEach(l -> out.append(l).append('\n'));
  }
}
