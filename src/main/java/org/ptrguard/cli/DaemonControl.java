package org.ptrguard.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityReport;
import org.ptrguard.identity.ReceiverProfiles;
import org.ptrguard.identity.Verdict;
import org.ptrguard.monitor.IdentityMonitor;
import org.ptrguard.monitor.IdentityMonitor.LiveTarget;
import org.ptrguard.monitor.RouteStatuses;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.BuildInfo;
import org.ptrguard.ops.ControlServer;
import org.ptrguard.ops.LogValues;
import org.ptrguard.ops.StatusSection;
import org.ptrguard.postfix.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon answers on its control endpoint (docs/control.md): {@code status} (the live view
 * as one JSON document) and {@code recheck} (re-check everything now, then the status). The same
 * recheck runs on every SIGHUP. Other concerns add parts of the status with {@link #addSection}.
 */
final class DaemonControl implements ControlServer.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(DaemonControl.class);
  /** The request words this version understands, in the order `help` lists them. */
  static final List<String> REQUESTS = List.of("status", "recheck");

  private final IdentityMonitor monitor;
  private final Optional<RouteStatuses> routes;
  private final Supplier<Settings> settings;
  private final String configSource;
  private final Clock clock;
  private final Instant started;
  private final List<StatusSection> sections = new CopyOnWriteArrayList<>();

  DaemonControl(IdentityMonitor monitor, Optional<RouteStatuses> routes, Supplier<Settings> settings,
      String configSource, Clock clock) {
    this.monitor = monitor;
    this.routes = routes;
    this.settings = settings;
    this.configSource = configSource;
    this.clock = clock;
    this.started = clock.instant();
  }

  /** Adds a part to every status from now on, after the identities, in the order added. */
  void addSection(StatusSection section) {
    sections.add(section);
  }

  @Override
  public CompletionStage<String> handle(String request) {
    String word = request.strip().toLowerCase(Locale.ROOT);
    return switch (word) {
      case "status" -> CompletableFuture.completedFuture(Json.write(status("status", Optional.empty())));
      case "recheck" -> recheck("request").thenApply(took -> Json.write(status("recheck", Optional.of(took))));
      default -> CompletableFuture.completedFuture(ControlServer.error("unknown request '" + abbreviate(request)
          + "'; this daemon understands: " + String.join(", ", REQUESTS)));
    };
  }

  /**
   * Re-checks every identity (and route identity) now, except those checked since this call began;
   * completes with how long it took, at the latest after the check budget plus a margin.
   */
  CompletableFuture<Duration> recheck(String reason) {
    Instant since = clock.instant();
    List<CompletableFuture<?>> all = new ArrayList<>();
    all.add(monitor.recheck(since).toCompletableFuture());
    routes.ifPresent(r -> all.add(r.recheck(since)));
    long budget = settings.get().dns().checkBudget().toMillis() + 2000;
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .orTimeout(budget, TimeUnit.MILLISECONDS)
        .handle((v, e) -> {
          Duration took = Duration.between(since, clock.instant());
          IdentityMonitor.LiveView live = monitor.live();
          String verdicts = String.join(",", live.targets().stream().map(t -> t.target().identityName() + ":"
              + Addresses.text(t.target().identity().ip()) + "=" + t.report().map(r -> r.verdict().word()).orElse("none"))
              .toList());
          LOG.info("event=recheck reason={} result={} took-ms={} verdicts={}", reason, e == null ? "done" : "timeout",
              took.toMillis(), LogValues.of(verdicts.isEmpty() ? "-" : verdicts));
          return took;
        });
  }

  /** The live view as a JSON-ready map (key order fixed: docs/control.md describes it). */
  Map<String, Object> status(String request, Optional<Duration> recheckTook) {
    Instant now = clock.instant();
    Settings s = settings.get();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("protocol", ControlServer.PROTOCOL);
    doc.put("ok", true);
    doc.put("request", request);
    Map<String, Object> daemon = new LinkedHashMap<>();
    daemon.put("version", BuildInfo.version());
    daemon.put("pid", ProcessHandle.current().pid());
    daemon.put("started", started.toString());
    daemon.put("now", now.toString());
    daemon.put("mode", s.mode().name().toLowerCase(Locale.ROOT));
    daemon.put("config", configSource);
    doc.put("daemon", daemon);
    recheckTook.ifPresent(t -> doc.put("recheck_ms", t.toMillis()));
    IdentityMonitor.LiveView live = monitor.live();
    List<Object> identities = new ArrayList<>();
    Verdict overall = Verdict.PASS;
    for (LiveTarget t : live.targets()) {
      identities.add(identity(t, now));
      overall = Verdict.worst(overall, t.report().map(IdentityReport::verdict).orElse(Verdict.UNKNOWN));
    }
    if (!live.problems().isEmpty()) {
      overall = Verdict.worst(overall, Verdict.UNKNOWN);
    }
    // Route mode: the identities each master.cf smtp service sends with, per family; they decide per recipient.
    List<Object> routeIdentities = new ArrayList<>();
    for (RouteStatuses.LiveIdentity r : routes.map(RouteStatuses::live).orElse(List.of())) {
      routeIdentities.add(routeIdentity(r, now));
      overall = Verdict.worst(overall, r.report().map(IdentityReport::verdict).orElse(Verdict.UNKNOWN));
    }
    doc.put("verdict", overall.word());
    doc.put("identities", identities);
    doc.put("route_identities", routeIdentities);
    doc.put("problems", live.problems());
    List<Object> parts = new ArrayList<>();
    for (StatusSection section : sections) {
      parts.add(section(section));
    }
    doc.put("sections", parts);
    return doc;
  }

  private static Map<String, Object> identity(LiveTarget t, Instant now) {
    Map<String, Object> id = new LinkedHashMap<>();
    id.put("name", t.target().identityName());
    live(id, t.target().identity(), t.report(), t.checkedAt(), t.stale(), t.nextCheck(), now);
    return id;
  }

  private static Map<String, Object> routeIdentity(RouteStatuses.LiveIdentity r, Instant now) {
    Map<String, Object> id = new LinkedHashMap<>();
    id.put("services", r.services());
    live(id, r.identity(), r.report(), r.checkedAt(), r.stale(), r.nextCheck(), now);
    return id;
  }

  /** What the daemon serves for one identity: its report, when it was checked and will be next, the matrix. */
  private static void live(Map<String, Object> id, Identity identity, Optional<IdentityReport> report,
      Optional<Instant> checkedAt, boolean stale, Optional<Instant> nextCheck, Instant now) {
    id.put("ip", Addresses.text(identity.ip()));
    id.put("family", Route.Family.of(identity.ip()).word());
    id.put("ehlo", identity.ehlo());
    id.put("ptr", report.map(IdentityReport::ptrNames).orElse(List.of()));
    id.put("verdict", report.map(r -> r.verdict().word()).orElse("unchecked"));
    id.put("stale", stale);
    id.put("checked_at", checkedAt.map(Instant::toString).orElse(null));
    id.put("age_seconds", checkedAt.map(c -> Duration.between(c, now).toSeconds()).orElse(null));
    id.put("next_check", nextCheck.map(Instant::toString).orElse(null));
    id.put("next_check_in_seconds", nextCheck.map(n -> Math.max(0, Duration.between(now, n).toSeconds())).orElse(null));
    id.put("findings", report.map(CheckCommand::findingsJson).orElse(List.of()));
    // What each kind of receiver does with this identity's mail, judged from the report the milter decides with.
    id.put("receivers", report.map(r -> ReceiverMatrixOutput.json(ReceiverProfiles.standard().judge(r))).orElse(List.of()));
  }

  private static Map<String, Object> section(StatusSection section) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", section.name());
    out.put("title", section.title());
    try {
      StatusSection.Content c = section.content();
      out.put("lines", c.lines());
      out.put("data", c.data());
    } catch (RuntimeException e) {
      // A broken section must not take the whole status down with it.
      LOG.warn("event=status-section-error section={} error={}", LogValues.of(section.name()), LogValues.of(e));
      out.put("lines", List.of("(this section failed: " + e + ")"));
      out.put("data", null);
    }
    return out;
  }

  private static String abbreviate(String s) {
    String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 40 ? clean.substring(0, 40) + "..." : clean;
  }
}
