package org.ptrguard;

import java.util.Arrays;
import org.ptrguard.cli.CheckCommand;
import org.ptrguard.cli.ConfigCommand;
import org.ptrguard.cli.ServeCommand;
import org.ptrguard.ops.Logging;
import org.ptrguard.ops.NettyDefaults;

/**
 * Entry point: {@code ptrguard [serve|check|...] [options]}. With no command, or with options only,
 * it serves the milter, because that is what the systemd unit and {@code java -jar} run.
 */
public final class Main {

  /** sysexits(3) EX_USAGE. */
  public static final int EXIT_USAGE = 64;

  private Main() {}

  /** sysexits(3) EX_SOFTWARE: a bug of ours, reported as one log line rather than a bare stack trace. */
  public static final int EXIT_SOFTWARE = 70;

  public static void main(String[] args) {
    NettyDefaults.apply();
    Logging.init(System.getenv());
    int status;
    try {
      status = run(args);
    } catch (RuntimeException | Error e) {
      org.slf4j.LoggerFactory.getLogger(Main.class).error("event=internal-error error={}",
          org.ptrguard.ops.LogValues.of(e.toString()), e);
      status = EXIT_SOFTWARE;
    }
    System.exit(status);
  }

  static int run(String[] args) {
    if (args.length == 0 || args[0].startsWith("--") && !isHelp(args[0])) {
      return ServeCommand.run(args);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "serve":
        return ServeCommand.run(rest);
      case "check":
        return CheckCommand.run(rest);
      case "config":
        return ConfigCommand.run(rest);
      case "routes":
        return org.ptrguard.cli.RoutesCommand.routes(rest);
      case "route":
        return org.ptrguard.cli.RoutesCommand.route(rest);
      case "help":
      case "-h":
      case "--help":
        System.out.println(usage());
        return 0;
      default:
        System.err.println("ptrguard: unknown command '" + args[0] + "'");
        System.err.println(usage());
        return EXIT_USAGE;
    }
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h");
  }

  static String usage() {
    return String.join("\n",
        "usage: ptrguard [serve] [--config FILE]      run the milter (default)",
        "       ptrguard check [--config FILE] [--ip IP]... [--ehlo NAME] [--resolver HOST[:PORT]]... [--json]",
        "                                            check outbound identities and print a report",
        "       ptrguard config [--config FILE]      validate and print the effective configuration",
        "       ptrguard routes [--config FILE] [--postfix-config DIR] [--json]",
        "                                            Postfix's delivery routes and the identity each leaves with",
        "       ptrguard route --sender ADDR --rcpt ADDR... [--postfix-config DIR] [--json]",
        "                                            which route each recipient takes, and why",
        "       ptrguard help                        this text");
  }
}
