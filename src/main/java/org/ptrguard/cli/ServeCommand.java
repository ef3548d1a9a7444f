package org.ptrguard.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader.LoadedConfig;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.monitor.IdentityStatuses;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.LogValues;
import org.ptrguard.ops.Logging;
import org.ptrguard.ops.Signals;
import org.ptrguard.ops.SocketActivation;
import org.ptrguard.ops.SystemdNotify;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ptrguard serve [--config FILE] [--listen SPEC]...}: runs the guard's milter until SIGTERM;
 * SIGHUP reloads the configuration. Under systemd it takes over activated sockets and reports
 * readiness (see {@link SocketActivation} and {@link SystemdNotify}).
 */
public final class ServeCommand {
  static final int EXIT_USAGE = Commands.EXIT_USAGE;
  static final int EXIT_UNAVAILABLE = Commands.EXIT_UNAVAILABLE;
  static final int EXIT_CONFIG = Commands.EXIT_CONFIG;

  public static final Command SPEC = new Command("serve", "", "Run the milter (the default command).",
      "Run the milter until SIGTERM. Postfix connects to it as configured in smtpd_milters and "
          + "non_smtpd_milters. The outbound identities are checked at start and kept fresh in the background, "
          + "so the SMTP path never waits for DNS once they are warm. SIGHUP re-reads the configuration: a valid "
          + "file applies to the next decision, an invalid one is logged and the running configuration stays. "
          + "Under systemd, sockets passed by a .socket unit replace listen and --listen, and readiness, "
          + "reloads and stopping are reported to the service manager.",
      List.of(CommonOptions.CONFIG,
          Option.valued("listen", "SPEC", "the configuration's listen (inet:127.0.0.1:8894)",
              "Listen on SPEC instead of the configuration's listen: inet:HOST:PORT, inet:PORT@HOST, "
                  + "inet6:PORT@HOST, unix:/path or local:/path, the forms smtpd_milters uses.")
              .withShort('l').many()),
      List.of(),
      List.of(new Command.ExitCode(0, "stopped by SIGTERM or SIGINT (the JVM reports 143 for SIGTERM, "
              + "which the systemd unit counts as success)"),
          CommonOptions.USAGE_ERROR,
          new Command.ExitCode(EXIT_UNAVAILABLE, "a listener could not be opened (address in use or not on this "
              + "host, socket directory missing) or systemd passed a socket that is not a stream socket"),
          CommonOptions.INTERNAL_ERROR,
          new Command.ExitCode(EXIT_CONFIG, "the configuration or a --listen SPEC is invalid, or the configuration "
              + "file cannot be read (the message names the file and the reason)")),
      0, (args, out, err) -> run(args, out, err, new CountDownLatch(1)));

  private ServeCommand() {}

  static int run(String[] args, PrintStream err, CountDownLatch stop) {
    return run(args, System.out, err, stop);
  }

  /** Runs until {@code stop} is released (by the shutdown hook on SIGTERM, or by a test). */
  static int run(String[] args, PrintStream out, PrintStream err, CountDownLatch stop) {
    Arguments parsed;
    try {
      parsed = Commands.parse(SPEC, args, out, err);
    } catch (CommandExit e) {
      return e.status();
    }
    LoadedConfig loaded;
    try {
      loaded = ConfigLoader.load(parsed.config());
    } catch (ConfigException e) {
      err.println("ptrguard: configuration is invalid:");
      e.problems().forEach(p -> err.println("  " + p));
      return EXIT_CONFIG;
    }
    Logging.setLevel(loaded.settings().log().level());
    Logger log = LoggerFactory.getLogger(ServeCommand.class);
    loaded.warnings().forEach(w -> log.warn("event=config-warning source={} warning=\"{}\"", loaded.source(), w.replace("\"", "'")));
    List<ListenAddress> listenOverride;
    try {
      // Listener specs are checked before anything starts, so a typo is a configuration error (78).
      listenOverride = listenOverride(parsed, log);
      Daemon.options(loaded.settings(), listenOverride);
    } catch (IllegalArgumentException e) {
      err.println("ptrguard: configuration is invalid:");
      err.println("  " + e.getMessage());
      return EXIT_CONFIG;
    }
    SystemdNotify systemd = SystemdNotify.fromEnvironment();
    Daemon daemon;
    try {
      daemon = Daemon.start(parsed.config(), listenOverride, loaded, IdentityStatuses::start, systemd);
    } catch (IOException e) {
      // Logged only (once): under systemd stderr is the journal, where every line is logfmt.
      log.error("event=listen-failed error={}", LogValues.of(e.getMessage()));
      return EXIT_UNAVAILABLE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return EXIT_UNAVAILABLE;
    }
    Signals.onHangup(daemon::reload);
    Thread hook = new Thread(() -> {
      log.info("event=stopping");
      systemd.stopping();
      daemon.close();
      stop.countDown();
    }, "ptrguard-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    daemon.announceListening(loaded.source());
    try {
      daemon.awaitReady();
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook closes the daemon
    }
    daemon.close();
    return 0;
  }

  /**
   * Sockets handed over by systemd win over {@code --listen}, which wins over the configuration's
   * {@code listen}: under socket activation the .socket unit is the one place listeners are named.
   */
  private static List<ListenAddress> listenOverride(Arguments args, Logger log) {
    List<ListenAddress> inherited = List.copyOf(SocketActivation.inherited());
    if (!inherited.isEmpty()) {
      log.info("event=socket-activation sockets={} note=\"listen and --listen are ignored\"", inherited.size());
      return inherited;
    }
    return args.all("listen").stream().map(ListenAddress::parse).toList();
  }
}
