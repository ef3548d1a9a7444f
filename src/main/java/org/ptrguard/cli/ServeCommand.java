package org.ptrguard.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader.LoadedConfig;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.milter.MilterServerOptions;
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
  /** sysexits(3). */
  static final int EXIT_USAGE = 64;
  static final int EXIT_UNAVAILABLE = 69;
  static final int EXIT_CONFIG = 78;
  static final String USAGE = "usage: ptrguard serve [--config FILE] [--listen inet:HOST:PORT|unix:/path]...";

  private ServeCommand() {}

  public static int run(String[] args) {
    return run(args, System.err, new CountDownLatch(1));
  }

  /** Parsed command line. */
  record Arguments(Optional<Path> config, List<String> listen) {}

  static Optional<Arguments> parse(String[] args, PrintStream err) {
    Optional<Path> config = Optional.empty();
    List<String> listen = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--config") && i + 1 < args.length) {
        config = Optional.of(Path.of(args[++i]));
      } else if (a.equals("--listen") && i + 1 < args.length) {
        listen.add(args[++i]);
      } else {
        err.println("ptrguard serve: unexpected argument '" + a + "' (" + USAGE + ")");
        return Optional.empty();
      }
    }
    return Optional.of(new Arguments(config, listen));
  }

  /** Builds the server options from the settings; {@code listenOverride} replaces {@code listen} if not empty. */
  static MilterServerOptions options(Settings settings, List<ListenAddress> listenOverride) {
    List<ListenAddress> listeners = listenOverride.isEmpty() ? settings.listen() : listenOverride;
    Settings.LimitSettings limits = settings.limits();
    return MilterServerOptions.defaults()
        .withListeners(listeners)
        .withAllowFrom(settings.allowFrom())
        .withMaxFrameBytes(limits.maxFrameBytes())
        .withMaxConnections(limits.maxConnections())
        .withIdleTimeout(limits.idleTimeout())
        .withMacroLimits(limits.maxMacrosPerStage(), limits.maxMacroBytes())
        .withUnixSocket(settings.unixSocket().mode(), settings.unixSocket().group());
  }

  /** Runs until {@code stop} is released (by the shutdown hook on SIGTERM, or by a test). */
  static int run(String[] args, PrintStream err, CountDownLatch stop) {
    Optional<Arguments> parsed = parse(args, err);
    if (parsed.isEmpty()) {
      return EXIT_USAGE;
    }
    LoadedConfig loaded;
    try {
      loaded = ConfigLoader.load(parsed.get().config());
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
      listenOverride = listenOverride(parsed.get(), log);
      options(loaded.settings(), listenOverride);
    } catch (IllegalArgumentException e) {
      err.println("ptrguard: configuration is invalid:");
      err.println("  " + e.getMessage());
      return EXIT_CONFIG;
    }
    SystemdNotify systemd = SystemdNotify.fromEnvironment();
    Daemon daemon;
    try {
      daemon = Daemon.start(parsed.get().config(), listenOverride, loaded, IdentityStatuses::start, systemd);
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
    return args.listen().stream().map(ListenAddress::parse).toList();
  }

  /** "inet:127.0.0.1:8894 unix:/run/ptrguard/milter.sock" */
  static String describe(List<java.net.SocketAddress> addresses) {
    List<String> out = new ArrayList<>();
    for (java.net.SocketAddress a : addresses) {
      if (a instanceof java.net.InetSocketAddress inet) {
        out.add(new ListenAddress.Inet(inet.getAddress(), inet.getPort()).toString());
      } else if (a instanceof io.netty.channel.unix.DomainSocketAddress d) {
        out.add("unix:" + d.path());
      } else {
        out.add("unix:" + a);
      }
    }
    return String.join(" ", out);
  }
}
