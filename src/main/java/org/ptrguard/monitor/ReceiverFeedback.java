package org.ptrguard.monitor;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.ops.LogValues;
import org.ptrguard.ops.Metrics;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.Route.Reach;
import org.ptrguard.postfix.RouteModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon does with each receiver rejection read from Postfix's log: ties it to the route
 * (the delivering service) and the identity that sent the mail (the service's source address in the
 * receiver's address family), sets it against ptrguard's own verdict for that message (by queue ID,
 * else the identity's current one), and reports it: one warning line, the metrics, the 24-hour
 * summary, and with {@code feedback.enforce} a hold on the identity ({@link ReceiverHolds}).
 *
 * <p>Called on the log follower's thread, never on an event loop; reads only memory.
 */
public final class ReceiverFeedback {
  private static final Logger LOG = LoggerFactory.getLogger("org.ptrguard.feedback");
  /** The classes of receiver replies (the feedback-log table's), all about the sending identity. */
  public static final List<String> CLASSES = List.of("ptr", "fcrdns", "helo", "ipv6-ptr", "other-rdns");
  /** Reply texts kept in the summary and holds are cut here (the log line cuts at LogValues' limit). */
  static final int MAX_TEXT = 300;

  /**
   * Who sent the rejected mail.
   *
   * @param identity the configured identity's name; in route mode the service's name unless a
   *     configured identity overrides that service; "-" when none can be told
   * @param route the delivering master.cf service
   * @param family the receiver's address family, when its address is known
   * @param status the identity's current status (without holds), when the guard has one
   */
  public record Attribution(String identity, String route, Optional<Family> family, Optional<IdentityStatus> status) {}

  /** What the daemon currently decides with; swapped whole on reload. */
  private static final class Wiring {
    private final List<IdentitySettings> identities;
    private final IdentityStatusSource statuses;
    private final RouteStatusSource routes;
    private final boolean enforce;
    private final Duration holdFor;
    /** The route snapshot whose services last got their zero series. */
    private volatile RouteSnapshot seriesFor;

    Wiring(List<IdentitySettings> identities, IdentityStatusSource statuses, RouteStatusSource routes, boolean enforce,
        Duration holdFor) {
      this.identities = identities;
      this.statuses = statuses;
      this.routes = routes;
      this.enforce = enforce;
      this.holdFor = holdFor;
    }

    List<IdentitySettings> identities() {
      return identities;
    }

    IdentityStatusSource statuses() {
      return statuses;
    }

    RouteStatusSource routes() {
      return routes;
    }

    boolean enforce() {
      return enforce;
    }

    Duration holdFor() {
      return holdFor;
    }

    RouteSnapshot seriesFor() {
      return seriesFor;
    }

    void seriesFor(RouteSnapshot s) {
      seriesFor = s;
    }
  }

  private final Metrics.CounterFamily rejections;
  private final QueueVerdicts verdicts;
  private final ReceiverHolds holds;
  private final RejectionSummary summary;
  private final Map<String, Long> lastRejection = new HashMap<>();
  private volatile Wiring wiring;

  public ReceiverFeedback(Metrics metrics, QueueVerdicts verdicts, ReceiverHolds holds, Clock clock) {
    this.verdicts = verdicts;
    this.holds = holds;
    this.summary = new RejectionSummary(clock);
    this.rejections = metrics.counter("ptrguard_receiver_rejections_total",
        "Receivers' rejections of our mail for reverse DNS or HELO, read from Postfix's log, by identity, "
            + "address family and class", "identity", "family", "class");
    metrics.gauge("ptrguard_receiver_rejection_last_timestamp_seconds",
        "When a receiver last rejected mail from each identity (Unix time; 0 before the first)", List.of("identity"),
        this::lastRejections);
  }

  /**
   * Takes the daemon's current configuration (start and every reload). Each identity gets its
   * rejection series at 0, so the alert's increase() sees the first rejection.
   *
   * @param statuses what the guard reads in per-session mode, without holds
   * @param routes what it reads in route mode, without holds ({@link RouteStatusSource#NONE} when off)
   */
  public void configure(List<IdentitySettings> identities, IdentityStatusSource statuses, RouteStatusSource routes,
      boolean enforce, Duration holdFor) {
    Wiring before = wiring;
    wiring = new Wiring(List.copyOf(identities), statuses, routes, enforce, holdFor);
    if (before != null && before.enforce() && !enforce) {
      holds.clear("feedback-enforce-off");
    }
    ensureSeries();
  }

  /**
   * Zero series for each configured identity and, in route mode, each smtp service of the current
   * route model (read in the background, so also checked at every scrape and rejection).
   */
  private void ensureSeries() {
    Wiring w = wiring;
    RouteSnapshot snapshot = w.routes().snapshot();
    if (w.seriesFor() == snapshot) {
      return;
    }
    List<String> names = new java.util.ArrayList<>(w.identities().stream().map(IdentitySettings::name).toList());
    snapshot.model().ifPresent(m -> m.services().values().stream()
        .filter(s -> s.command().equals("smtp")).forEach(s -> names.add(s.name())));
    w.seriesFor(snapshot);
    synchronized (lastRejection) {
      for (String name : names) {
        lastRejection.putIfAbsent(name, 0L);
        for (Family f : Family.values()) {
          for (String c : CLASSES) {
            rejections.labels(name, f.word(), c);
          }
        }
      }
    }
  }

  public ReceiverHolds holds() {
    return holds;
  }

  /** Receiver rejections of the last 24 hours per identity (for status, check and routes). */
  public RejectionSummary summary() {
    return summary;
  }

  /** Reports one rejection; never throws (a bad line must not stop the follower). */
  public void rejected(ReceiverRejection r) {
    Wiring w = wiring;
    if (w == null) {
      return;
    }
    try {
      report(w, r);
    } catch (RuntimeException e) {
      LOG.error("event=receiver-rejection-failed queue-id={} error={}", LogValues.of(r.queueId()),
          LogValues.of(e.toString()), e);
    }
  }

  private void report(Wiring w, ReceiverRejection r) {
    ensureSeries();
    Attribution a = attribute(w, r);
    Optional<Verdict> fromQueue = verdicts.verdict(r.queueId(), r.recipient());
    Optional<Verdict> verdict = fromQueue.or(() -> a.status().map(IdentityStatus::verdict));
    String agrees = verdict.map(v -> v == Verdict.PASS ? "no" : v == Verdict.UNKNOWN ? "-" : "yes").orElse("-");
    String family = a.family().map(Family::word).orElse("-");
    String text = text(r);
    LOG.warn("event=receiver-rejection identity={} route={} family={} ip={} receiver={} domain={} status={} code={} "
            + "dsn={} class={} rule={} queue-id={} ptrguard-verdict={} agrees={} verdict-from={} reply={}",
        LogValues.of(a.identity()), LogValues.of(a.route()), family,
        LogValues.of(a.status().map(IdentityStatus::ip).orElse("-")), LogValues.of(r.receiver()),
        LogValues.of(r.domain()), LogValues.of(r.status()), LogValues.of(r.code()), LogValues.of(r.dsn()),
        LogValues.of(r.replyClass()), LogValues.of(r.rule()), LogValues.of(r.queueId()), verdict.map(Verdict::word).orElse("-"), agrees,
        fromQueue.isPresent() ? "queue-id" : a.status().isPresent() ? "identity" : "-", LogValues.of(text));
    rejections.labels(a.identity(), family, r.replyClass()).increment();
    synchronized (lastRejection) {
      lastRejection.put(a.identity(), r.at().toEpochMilli());
    }
    summary.add(a.identity(), r.receiver(), r.replyClass(), text);
    if (w.enforce() && a.status().isPresent() && !a.identity().equals("-")) {
      holds.hold(a.status().get(), a.identity(), a.family(), r.receiver(), text, w.holdFor());
    }
  }

  /** The reply as the receiver sent it (the parsed text keeps its codes), capped. */
  private static String text(ReceiverRejection r) {
    String t = r.text().strip();
    return t.length() <= MAX_TEXT ? t : t.substring(0, MAX_TEXT) + "...";
  }

  /** Route and identity of a rejection: through the route model in route mode, else the identities. */
  Attribution attribute(ReceiverRejection r) {
    return attribute(wiring, r);
  }

  private static Attribution attribute(Wiring w, ReceiverRejection r) {
    Optional<Family> family = r.receiverAddress().map(Family::of);
    RouteSnapshot snapshot = w.routes().snapshot();
    if (snapshot.active()) {
      RouteModel model = snapshot.model().get();
      RouteStatus route = snapshot.resolve(Optional.of(r.service()), Optional.empty(), "");
      Optional<IdentityStatus> status = route.reach() != Reach.DIRECT ? Optional.empty()
          : family.flatMap(f -> f == Family.IPV4 ? route.ipv4() : route.ipv6());
      String identity = model.service(r.service())
          .flatMap(s -> family.flatMap(f -> s.identities().stream().filter(i -> i.family() == f).findFirst()))
          .flatMap(i -> i.overriddenBy())
          .orElse(route.reach() == Reach.DIRECT ? r.service() : "-");
      return new Attribution(identity, r.service(), family, status);
    }
    Optional<IdentitySettings> id = defaultIdentity(w.identities());
    return new Attribution(id.map(IdentitySettings::name).orElse("-"), r.service(), family,
        id.flatMap(i -> w.statuses().peek(i.name())));
  }

  /**
   * Per-session mode: the identity of all traffic (the only one, or the one without senders and
   * services). Identities chosen by sender or smtpd service cannot be told from the delivery log.
   */
  static Optional<IdentitySettings> defaultIdentity(List<IdentitySettings> identities) {
    if (identities.size() == 1) {
      return Optional.of(identities.get(0));
    }
    return identities.stream().filter(i -> i.senders().isEmpty() && i.services().isEmpty()).findFirst();
  }

  private Map<List<String>, Double> lastRejections() {
    if (wiring != null) {
      ensureSeries(); // rendered before the counter (names sort so): new services show in this scrape
    }
    Map<List<String>, Double> out = new HashMap<>();
    synchronized (lastRejection) {
      lastRejection.forEach((id, ms) -> out.put(List.of(id), ms / 1000.0));
    }
    return out;
  }
}
