package org.ptrguard.cli;

/** Options and exit statuses several commands share, declared once so their help reads the same everywhere. */
public final class CommonOptions {
  public static final String DEFAULT_CONFIG = "/etc/ptrguard/ptrguard.conf";

  /** {@code -c FILE, --config=FILE}. */
  public static final Option CONFIG = Option.valued("config", "FILE",
          DEFAULT_CONFIG + " if it exists, else the built-in defaults",
          "Read the configuration from FILE (HOCON; every key is described in ptrguard.conf(5)).")
      .withShort('c').completing(Option.FILES);

  /** {@code --postfix-config DIR}: which Postfix instance's main.cf and master.cf to read. */
  public static final Option POSTFIX_CONFIG = Option.valued("postfix-config", "DIR",
          "Postfix's default instance (postconf's own default, usually /etc/postfix)",
          "Read Postfix's configuration from DIR (postconf -c DIR), for a second Postfix instance.")
      .completing(Option.DIRECTORIES);

  /** Exit statuses every command shares. */
  public static final Command.ExitCode USAGE_ERROR = new Command.ExitCode(Commands.EXIT_USAGE,
      "usage error: an unknown option, a missing or empty value, conflicting options; one line names it");
  public static final Command.ExitCode INTERNAL_ERROR = new Command.ExitCode(Commands.EXIT_SOFTWARE,
      "internal error (a bug in ptrguard; the log line says where)");

  private CommonOptions() {}
}
