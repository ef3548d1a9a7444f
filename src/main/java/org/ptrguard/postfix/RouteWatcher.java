package org.ptrguard.postfix;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a current {@link RouteModel}: built at start, rebuilt on {@link #reload()} (SIGHUP) and
 * whenever main.cf, master.cf or a table file changes on disk (postmap rewrites the .db/.lmdb file,
 * so a rebuilt table is noticed without a reload). Discovery forks postconf and postmap, so it runs
 * on this class's own thread; {@link #current()} is a volatile read for the mail path.
 */
public final class RouteWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RouteWatcher.class);

  private final RouteDiscovery discovery;
  private final AtomicReference<List<IdentityOverride>> overrides;
  private final AtomicReference<RouteModel> current = new AtomicReference<>();
  private final List<Consumer<RouteModel>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ptrguard-routes");
    t.setDaemon(true);
    return t;
  });

  /** Builds the first model now (the caller is starting up, not serving mail). */
  public RouteWatcher(RouteDiscovery discovery, List<IdentityOverride> overrides) {
    this.discovery = discovery;
    this.overrides = new AtomicReference<>(List.copyOf(overrides));
    current.set(discovery.discover(this.overrides.get()));
    log("start", current.get());
  }

  /** Polls the watched files' modification times every {@code period} (a stat each). */
  public RouteWatcher watch(Duration period) {
    thread.scheduleWithFixedDelay(this::rebuildIfChanged, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  public RouteModel current() {
    return current.get();
  }

  /** Called with each new model, on the watcher's thread. */
  public void onChange(Consumer<RouteModel> listener) {
    listeners.add(listener);
  }

  /** Re-reads everything in the background (ptrguard reload, possibly with new identities). */
  public void reload(List<IdentityOverride> newOverrides) {
    overrides.set(List.copyOf(newOverrides));
    thread.execute(() -> rebuild("reload"));
  }

  private void rebuildIfChanged() {
    if (current.get().changedOnDisk()) {
      rebuild("file-changed");
    }
  }

  private void rebuild(String why) {
    try {
      RouteModel model = discovery.discover(overrides.get());
      current.set(model);
      log(why, model);
      for (Consumer<RouteModel> l : listeners) {
        l.accept(model);
      }
    } catch (RuntimeException e) {
      // keep serving the last good model: a broken edit must not take routing knowledge away
      LOG.error("event=routes-reload-failed reason={} error={}", why, LogValues.of(e.toString()), e);
    }
  }

  private static void log(String why, RouteModel m) {
    LOG.info("event=routes-loaded reason={} routes={} problems={}", why, m.routes().size(), m.problems().size());
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
