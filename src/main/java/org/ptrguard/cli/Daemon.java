package org.ptrguard.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader.LoadedConfig;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.milter.MilterServer;
import org.ptrguard.milter.MilterServerOptions;
import org.ptrguard.monitor.IdentityMonitor;
import org.ptrguard.monitor.IdentityStatusSource;
import org.ptrguard.monitor.QueueVerdicts;
import org.ptrguard.monitor.ReceiverFeedback;
import org.ptrguard.monitor.ReceiverHolds;
import org.ptrguard.monitor.RouteStatusSource;
import org.ptrguard.monitor.RouteStatuses;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.BuildInfo;
import org.ptrguard.ops.ControlServer;
import org.ptrguard.ops.JvmMetrics;
import org.ptrguard.ops.LogValues;
import org.ptrguard.ops.Logging;
import org.ptrguard.ops.Metrics;
import org.ptrguard.ops.MetricsServer;
import org.ptrguard.ops.SystemdNotify;
import org.ptrguard.policy.Guard;
import org.ptrguard.postfix.PostfixTools;
import org.ptrguard.postfix.RouteWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: milter server, guard, identity monitor and optional metrics endpoint, with
 * reload. Listeners are bound before the first identity check finishes, because Postfix must never
 * find the milter missing: a session that arrives first waits at most the check budget.
 */
final class Daemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

  private final Optional<Path> configFile;
  private final List<ListenAddress> listenOverride;
  private final SystemdNotify systemd;
  private final Metrics metrics;
  private final IdentityMonitor monitor;
  /** Present in route mode (routes.enabled): per-route verdicts for per-recipient decisions. */
  private final Optional<RouteStatuses> routes;
  private final Guard guard;
  /** Receiver rejections read from Postfix's log: reported, summarised and (feedback.enforce) held. */
  private final ReceiverFeedback feedback;
  private final FeedbackReader feedbackReader;
  private final MilterServer server;
  private final MetricsServer metricsServer;
  /** status and recheck, on the control socket and the loopback metrics listener. */
  private final DaemonControl control;
  private final Optional<ControlServer> controlServer;
  private volatile Settings settings;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Daemon(Optional<Path> configFile, List<ListenAddress> listenOverride, SystemdNotify systemd, Settings settings,
      Metrics metrics, IdentityMonitor monitor, Optional<RouteStatuses> routes, Guard guard, ReceiverFeedback feedback,
      MilterServer server, MetricsServer metricsServer, DaemonControl control, Optional<ControlServer> controlServer) {
    this.configFile = configFile;
    this.listenOverride = listenOverride;
    this.systemd = systemd;
    this.settings = settings;
    this.metrics = metrics;
    this.monitor = monitor;
    this.routes = routes;
    this.guard = guard;
    this.feedback = feedback;
    this.feedbackReader = new FeedbackReader(feedback);
    control.addSection(new RejectionsStatusSection(feedback.summary(), feedbackReader::notFollowing));
    this.server = server;
    this.metricsServer = metricsServer;
    this.control = control;
    this.controlServer = controlServer;
  }

  /**
   * Starts everything; on failure releases what was started and rethrows.
   *
   * @param monitors creates the identity monitor for the first settings
   */
  static Daemon start(Optional<Path> configFile, List<ListenAddress> listenOverride, LoadedConfig loaded,
      BiFunction<Settings, Metrics, IdentityMonitor> monitors, SystemdNotify systemd)
      throws IOException, InterruptedException {
    Settings settings = loaded.settings();
    Metrics metrics = new Metrics();
    JvmMetrics.register(metrics);
    BuildInfo.register(metrics);
    RouteChecks.RouteModeChoice choice = RouteChecks.routeMode(settings.routes(),
        PostfixTools.forInstance(settings.routes().postfixConfig()));
    LOG.info("event=routes-mode enabled={} reason={}", choice.on() ? "yes" : "no", LogValues.of(choice.reason()));
    IdentityMonitor monitor = monitors.apply(monitored(settings, choice.on()), metrics);
    Optional<RouteStatuses> routes = Optional.empty();
    MilterServer server = null;
    MetricsServer metricsServer = null;
    Optional<ControlServer> controlServer = Optional.empty();
    SettingsHolder current = new SettingsHolder(settings);
    try {
      routes = startRoutes(settings, choice, monitor);
      DaemonControl control = new DaemonControl(monitor, routes, current::get, loaded.source(), java.time.Clock.systemUTC());
      RouteStatusSource routeSource = routes.<RouteStatusSource>map(r -> r).orElse(RouteStatusSource.NONE);
      QueueVerdicts queueVerdicts = new QueueVerdicts();
      ReceiverHolds holds = new ReceiverHolds(Clock.systemUTC());
      ReceiverFeedback feedback = new ReceiverFeedback(metrics, queueVerdicts, holds, Clock.systemUTC());
      routes.ifPresent(r -> control.addSection(new Ipv6ShareSection(r, Clock.systemUTC())));
      feedback.configure(settings.identities(), monitor.current(), routeSource, settings.feedback().enforce(),
          settings.feedback().holdFor());
      // The guard reads verdicts with any receiver hold laid over them (feedback.enforce).
      Guard guard = new Guard(settings, holds.over(monitor.current()), holds.over(routeSource), metrics, queueVerdicts);
      // Every listener is bound before any accepts: one that cannot be had stops the start before a
      // client could connect to another and be reset at exit (a half-started server).
      server = MilterServer.bind(options(settings, listenOverride), guard);
      if (settings.metrics().listen().isPresent()) {
        metricsServer = MetricsServer.bind(settings.metrics().listen().get(), metrics, control);
      }
      // Before the milter accepts: a control socket the admin named that cannot be had stops the start.
      controlServer = startControl(settings, control);
      server.open();
      if (metricsServer != null) {
        metricsServer.open();
      }
      MilterServer s = server;
      metrics.gauge("ptrguard_milter_connections", "Open milter connections", List.of(),
          () -> Map.of(List.of(), (double) s.openConnections()));
      metrics.counterFunction("ptrguard_milter_connections_accepted_total", "Milter connections accepted", List.of(),
          () -> Map.of(List.of(), (double) s.stats().acceptedConnections()));
      metrics.counterFunction("ptrguard_milter_connections_refused_total", "Milter connections refused, by reason",
          List.of("reason"), () -> perLabel(s.stats().refusedConnections()));
      metrics.counterFunction("ptrguard_milter_commands_total", "Milter commands received, by command",
          List.of("command"), () -> perLabel(s.stats().commands()));
      metrics.counterFunction("ptrguard_milter_protocol_errors_total", "Milter connections closed for a protocol error",
          List.of(), () -> Map.of(List.of(), (double) s.stats().protocolErrors()));
      Daemon daemon = new Daemon(configFile, listenOverride, systemd, settings, metrics, monitor, routes, guard, feedback,
          server, metricsServer, control, controlServer);
      current.daemon = daemon;
      daemon.feedbackReader.apply(settings); // in the background: it may fork journalctl and postconf
      return daemon;
    } catch (IOException | RuntimeException e) {
      controlServer.ifPresent(ControlServer::close);
      if (server != null) {
        server.close();
      }
      if (metricsServer != null) {
        metricsServer.close();
      }
      routes.ifPresent(RouteStatuses::close);
      monitor.close();
      throw e;
    }
  }

  /** The settings of a daemon still being built, then of the daemon (which replaces them on reload). */
  private static final class SettingsHolder {
    private final Settings first;
    volatile Daemon daemon;

    SettingsHolder(Settings first) {
      this.first = first;
    }

    Settings get() {
      Daemon d = daemon;
      return d == null ? first : d.settings;
    }
  }

  /**
   * The control socket. A derived path (control.socket = auto) whose directory is missing, or that
   * another daemon holds, leaves the endpoint off with a log line: a development run or a second
   * instance must still start. A path the admin wrote that cannot be created stops the start.
   */
  private static Optional<ControlServer> startControl(Settings settings, DaemonControl control) throws IOException {
    Optional<Path> path = settings.control().socket();
    if (path.isEmpty()) {
      LOG.info("event=control-off reason=\"control.socket is empty\"");
      return Optional.empty();
    }
    try {
      return Optional.of(ControlServer.start(path.get(), settings.unixSocket().group(), control));
    } catch (IOException e) {
      if (!settings.control().auto()) {
        throw new IOException("control socket " + path.get() + ": " + e.getMessage(), e);
      }
      LOG.info("event=control-off path={} reason={} note=\"set control.socket to a path in a directory ptrguard can write\"",
          LogValues.of(path.get()), LogValues.of(e instanceof java.nio.file.NoSuchFileException
              ? "directory " + path.get().getParent() + " does not exist" : String.valueOf(e.getMessage())));
      return Optional.empty();
    }
  }

  /**
   * Route mode: Postfix's routes are read now (postconf, postmap; before the listeners, so the first
   * session already follows them) and watched; their identities are checked in the background.
   */
  private static Optional<RouteStatuses> startRoutes(Settings settings, RouteChecks.RouteModeChoice choice,
      IdentityMonitor monitor) {
    if (!choice.on()) {
      return Optional.empty();
    }
    RouteWatcher watcher = new RouteWatcher(RouteChecks.discovery(settings.routes().postfixConfig()),
        RouteChecks.overrides(settings)).watch(RouteStatuses.WATCH_INTERVAL);
    return Optional.of(RouteStatuses.start(settings, watcher, monitor.lookups()));
  }

  /**
   * The settings the identity monitor checks. In route mode without written identities the routes'
   * identities (master.cf smtp services per family) are the host's identities, checked by the route
   * statuses; the built-in default identity (main.cf's bind address or the kernel route, and the EHLO
   * name) would be a separate identity no route uses, which {@code ptrguard check} leaves out too.
   * Written identities, and every setting outside route mode, are checked as before.
   */
  static Settings monitored(Settings settings, boolean routeMode) {
    return routeMode && !settings.routes().identitiesWritten() ? settings.withIdentities(List.of()) : settings;
  }

  private static Map<List<String>, Double> perLabel(Map<String, Long> counts) {
    Map<List<String>, Double> out = new java.util.HashMap<>();
    counts.forEach((k, v) -> out.put(List.of(k), v.doubleValue()));
    return out;
  }

  /** Logs readiness once every identity has its first verdict (or the budget has passed). */
  /**
   * Says that the daemon is listening: the log line and READY=1. Separate from {@link #start} so the
   * caller first installs the SIGHUP handler: systemd may send a reload as soon as it sees READY=1,
   * and a SIGHUP before the handler exists would stop the JVM.
   */
  void announceListening(String source) {
    String listeners = describe(server.boundAddresses());
    String mode = settings.mode().name().toLowerCase(Locale.ROOT);
    LOG.info("event=listening listeners={} config={} mode={} version={}", LogValues.of(listeners),
        LogValues.of(source), mode, LogValues.of(BuildInfo.version()));
    // Ready as soon as Postfix can connect: a session that beats the first check waits for it.
    systemd.ready("mode=" + mode + " listening on " + listeners);
  }

  boolean awaitReady() throws InterruptedException {
    Duration budget = settings.dns().checkBudget().plus(Duration.ofSeconds(1));
    boolean all = monitor.awaitFirstVerdicts(budget);
    if (routes.isPresent()) {
      all &= routes.get().awaitFirstVerdicts(budget.plusSeconds(10)); // postconf and postmap run first
    }
    LOG.info("event=ready identities={} routes={} all-checked={}", monitored(settings, routes.isPresent()).identities().size(),
        routes.isPresent() ? "yes" : "no", all ? "yes" : "no");
    return all;
  }

  /**
   * Re-reads the configuration. Valid: swapped in for the next decision, open sessions untouched.
   * Invalid: logged, the running configuration stays. Listener changes need a restart.
   */
  boolean reload() {
    systemd.reloading();
    boolean applied = false;
    try {
      applied = reloadOnce();
      return applied;
    } catch (RuntimeException | Error e) {
      LOG.error("event=reload result=rejected reason={} kept-mode={}", LogValues.of(e.toString()), mode(settings));
      return false;
    } finally {
      // systemctl reload waits for READY=1 after RELOADING=1: it must come whatever happened between.
      systemd.ready(applied ? "mode=" + mode(settings) + " listening on " + describe(server.boundAddresses())
          : "mode=" + mode(settings) + "; last reload rejected, see the journal");
    }
  }

  private static String mode(Settings s) {
    return s.mode().name().toLowerCase(Locale.ROOT);
  }

  private boolean reloadOnce() {
    LoadedConfig loaded;
    try {
      loaded = ConfigLoader.load(configFile);
    } catch (ConfigException e) {
      LOG.error("event=reload result=rejected reason={} kept-mode={}", LogValues.of(String.join("; ", e.problems())),
          mode(settings));
      return false;
    }
    Settings next = loaded.settings();
    loaded.warnings().forEach(w -> LOG.warn("event=config-warning warning={}", LogValues.of(w)));
    if (listenOverride.isEmpty() && !next.listen().equals(settings.listen())
        || !next.metrics().equals(settings.metrics()) || !next.limits().equals(settings.limits())
        || !next.unixSocket().equals(settings.unixSocket()) || !next.allowFrom().equals(settings.allowFrom())) {
      LOG.warn("event=reload note=\"listen, allow-from, unix-socket, limits and metrics change only at restart\"");
    }
    Logging.setLevel(next.log().level());
    // The guard keeps deciding with the previous settings and their verdicts until the new
    // identities can be served, then takes both in one swap (the wait is bounded by the check budget).
    IdentityStatusSource statuses;
    try {
      statuses = monitor.update(monitored(next, routes.isPresent())).toCompletableFuture()
          .get(next.dns().checkBudget().toMillis() + 5000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.error("event=reload result=rejected reason=interrupted kept-mode={}", mode(settings));
      return false;
    } catch (ExecutionException | TimeoutException e) {
      LOG.error("event=reload result=rejected reason={} kept-mode={}", LogValues.of(e.toString()), mode(settings));
      return false;
    }
    guard.update(next, feedback.holds().over(statuses));
    feedback.configure(next.identities(), statuses, routes.<RouteStatusSource>map(r -> r).orElse(RouteStatusSource.NONE),
        next.feedback().enforce(), next.feedback().holdFor());
    feedbackReader.apply(next);
    // A reload is also how admins say "I fixed DNS": every identity is checked again now, not at its TTL.
    awaitRecheck("reload");
    if (!next.routes().sameModeAs(settings.routes())) {
      LOG.warn("event=reload note=\"routes.enabled, routes.postfix-config and whether identities are written (for "
          + "routes.enabled = auto) change route mode only at restart\"");
    }
    // re-reads Postfix's routes too: a reload follows Postfix's own reload
    routes.ifPresent(r -> r.update(next, RouteChecks.overrides(next)));
    Settings before = settings;
    settings = next;
    LOG.info("event=reload result=applied mode={} previous-mode={} identities={}",
        mode(next), mode(before), next.identities().size());
    return true;
  }

  /** Re-checks everything now and waits (at most the check budget and a margin) until it is done. */
  void awaitRecheck(String reason) {
    try {
      control.recheck(reason).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      LOG.warn("event=recheck reason={} result=error error={}", reason, LogValues.of(e.getCause()));
    }
  }

  /** Adds a part of {@code ptrguard status} (see {@link org.ptrguard.ops.StatusSection}). */
  void addStatusSection(org.ptrguard.ops.StatusSection section) {
    control.addSection(section);
  }

  /** Idempotent: the shutdown hook and the main thread both close (a second close found a terminated loop). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    feedbackReader.close();
    server.close();
    controlServer.ifPresent(ControlServer::close);
    if (metricsServer != null) {
      metricsServer.close();
    }
    routes.ifPresent(RouteStatuses::close);
    monitor.close();
  }

  /** Builds the server options from the settings; {@code listenOverride} replaces {@code listen} if not empty. */
  static MilterServerOptions options(Settings settings, List<ListenAddress> listenOverride) {
    List<ListenAddress> listeners = listenOverride.isEmpty() ? settings.listen() : listenOverride;
    ListenAddress.checkDistinct(listeners, settings.metrics().listen());
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
