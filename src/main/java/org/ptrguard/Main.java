package org.ptrguard;

import org.ptrguard.cli.Commands;
import org.ptrguard.ops.Logging;
import org.ptrguard.ops.NettyDefaults;

/**
 * Entry point: {@code ptrguard [serve|check|...] [options]}. With no command, or with options only,
 * it serves the milter, because that is what the systemd unit and {@code java -jar} run.
 */
public final class Main {

  /** sysexits(3) EX_USAGE. */
  public static final int EXIT_USAGE = Commands.EXIT_USAGE;

  private Main() {}

  /** sysexits(3) EX_SOFTWARE: a bug of ours, reported as one log line rather than a bare stack trace. */
  public static final int EXIT_SOFTWARE = Commands.EXIT_SOFTWARE;

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
    return Commands.run(args, System.out, System.err);
  }
}
