package org.ptrguard.policy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.milter.MilterAction;
import org.ptrguard.milter.MilterContext;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.milter.MilterHandler;
import org.ptrguard.milter.MilterHandlerFactory;
import org.ptrguard.milter.MacroStage;
import org.ptrguard.monitor.RouteStatusSource;
import org.ptrguard.milter.ProtocolNeeds;
import org.ptrguard.milter.SessionInfo;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.monitor.IdentityStatusSource;
import org.ptrguard.monitor.QueueVerdicts;
import org.ptrguard.net.CidrRange;
import org.ptrguard.ops.LogValues;
import org.ptrguard.ops.Metrics;
import org.ptrguard.policy.Decision.Action;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard as the milter sees it: one {@link GuardSession} per milter connection, all sharing the
 * current settings (swapped whole on reload, so a mode toggle applies to the next decision while
 * open sessions carry on) and the identity verdicts kept warm by an {@link IdentityStatusSource}.
 */
public final class Guard implements MilterHandlerFactory {
  private static final Logger DECISIONS = LoggerFactory.getLogger("org.ptrguard.decision");
  private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

  /** Everything a decision reads, swapped atomically on reload. */
  record State(Settings settings, IdentitySelector selector, List<CidrRange> scope, IdentityStatusSource statuses) {
    static State of(Settings settings, IdentityStatusSource statuses) {
      return new State(settings, new IdentitySelector(settings.identities()), settings.scope().clients(), statuses);
    }
  }

  private final AtomicReference<State> state;
  private final RouteDecider routes;
  private final AtomicInteger waiting = new AtomicInteger();
  private final Metrics.CounterFamily decisions;
  private final Metrics.CounterFamily coldWaits;
  /** Verdicts of messages that reached end of message, by queue ID, for the receiver-feedback side. */
  private final QueueVerdicts queueVerdicts;

  public Guard(Settings settings, IdentityStatusSource statuses, Metrics metrics) {
    this(settings, statuses, RouteStatusSource.NONE, metrics);
  }

  /** @param routes per-route verdicts; while its snapshot is inactive, sessions are decided as before */
  public Guard(Settings settings, IdentityStatusSource statuses, RouteStatusSource routes, Metrics metrics) {
    this(settings, statuses, routes, metrics, new QueueVerdicts(1));
  }

  /** @param queueVerdicts where each message's verdict is remembered by its queue ID */
  public Guard(Settings settings, IdentityStatusSource statuses, RouteStatusSource routes, Metrics metrics,
      QueueVerdicts queueVerdicts) {
    this.queueVerdicts = queueVerdicts;
    this.state = new AtomicReference<>(State.of(settings, statuses));
    this.routes = new RouteDecider(routes);
    this.decisions = metrics.counter("ptrguard_decisions_total", "Guard decisions by mode, action and verdict",
        "mode", "action", "verdict");
    this.coldWaits = metrics.counter("ptrguard_smtp_path_identity_waits_total",
        "Decisions that had to wait for an identity check (0 once warm)");
    showDecisionSeries(settings.mode());
  }

  /** Applies a reloaded configuration; decisions already under way finish with the old one. */
  public void update(Settings settings) {
    update(settings, state.get().statuses());
  }

  /**
   * Applies a reloaded configuration together with its identities' statuses, in one swap: a
   * decision reads both from the same State, so it never pairs one configuration's mode with the
   * other's identity.
   */
  public void update(Settings settings, IdentityStatusSource statuses) {
    state.set(State.of(settings, statuses));
    showDecisionSeries(settings.mode());
  }

  /** Every action and verdict of the mode in use gets its series at 0, so rates exist before the first event. */
  private void showDecisionSeries(Mode mode) {
    for (Action action : Action.values()) {
      for (Verdict verdict : Verdict.values()) {
        decisions.labels(mode.name().toLowerCase(Locale.ROOT), action.word(), verdict.word());
      }
    }
  }

  /**
   * Only CONNECT, HELO and MAIL matter; everything between MAIL and end of message is negotiated
   * away, which saves Postfix a round trip per recipient, header and body chunk. CONNECT needs no
   * answer either (the decision waits for HELO), so Postfix is told not to wait for one. HELO and
   * MAIL are answered in every mode: ACCEPT there ends Postfix's milter conversation for the
   * session, which costs Postfix less than leaving it open to end of message. (Measured with
   * bench/run-all.sh: with HELO and MAIL unanswered too, Postfix still sends end of message from its
   * cleanup process and waits for that answer, and end-to-end throughput was no better.)
   */
  static final ProtocolNeeds NEEDS = ProtocolNeeds.builder()
      .events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL)
      .noReply(MilterEvent.CONNECT)
      .actions(MilterAction.ADD_HEADERS, MilterAction.QUARANTINE)
      // Postfix's queue ID exists only from DATA on: asked for where a held or marked message ends.
      .macros(MacroStage.END_OF_MESSAGE, "i")
      .build();

  /**
   * With a route model and some route broken, RCPT is negotiated too, with the macros that name
   * Postfix's resolved route. A connection opened while every route is healthy gets {@link #NEEDS}:
   * no RCPT round trips, so it costs what it did without routes (see {@link #needs()}).
   */
  static final ProtocolNeeds ROUTE_NEEDS = ProtocolNeeds.builder()
      .events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL, MilterEvent.RCPT)
      .noReply(MilterEvent.CONNECT)
      .actions(MilterAction.ADD_HEADERS, MilterAction.QUARANTINE)
      .macros(MacroStage.RCPT, "{rcpt_mailer}", "{rcpt_host}", "{rcpt_addr}")
      .macros(MacroStage.END_OF_MESSAGE, "i")
      .build();

  /**
   * Asked per connection. RCPT events (a round trip and three macros per recipient) are asked for
   * only while some direct route is not healthy: a connection opened with every route healthy is
   * decided on that health for its whole life (see GuardSession), as a session without routes is
   * decided once at HELO. This is what keeps route mode as cheap as before while all is well.
   */
  @Override
  public ProtocolNeeds needs() {
    return routes.needsRecipients(state.get().settings()) ? ROUTE_NEEDS : NEEDS;
  }

  @Override
  public MilterHandler newSession(SessionInfo info) {
    return new GuardSession(this);
  }

  /**
   * The settings, selector, scope and identity statuses in use now. A session reads it once per
   * event and makes that event's whole decision from it, so a reload never mixes two configurations
   * in one decision.
   */
  State state() {
    return state.get();
  }

  /** True when sessions are decided per route (a route model is loaded). */
  boolean routeMode() {
    return routes.active();
  }

  /** In route mode: true when no direct route would be blocked under these settings. */
  boolean routesHealthy(State st) {
    return routes.allHealthy(st.settings());
  }

  /**
   * Route mode, every route healthy: the session is let go (or, with the audit header, followed to
   * end of message without looking at recipients). Counted once and logged in one line.
   */
  void sessionHealthy(State st, MilterContext ctx, Optional<String> client, String stage) {
    Settings settings = st.settings();
    Action action = auditHeader(st) ? Action.ADD_HEADER : Action.ACCEPT;
    decisions.labels(settings.mode().name().toLowerCase(Locale.ROOT), action.word(), "pass").increment();
    if (action == Action.ACCEPT) {
      DECISIONS.info(DecisionLine.routesHealthy(settings.mode(), action, stage, Optional.empty(), client,
          ctx.macro("{daemon_name}"), ctx.connectionId()));
    }
  }

  /** audit.add-header, all routes healthy: the line for one message, with Postfix's queue ID. */
  void messageHealthy(State st, MilterContext ctx, Optional<String> client) {
    DECISIONS.info(DecisionLine.routesHealthy(st.settings().mode(), Action.ADD_HEADER, "message", ctx.macro("i"),
        client, ctx.macro("{daemon_name}"), ctx.connectionId()));
  }

  /** audit.add-header in audit mode: every message is followed to end of message for its header. */
  static boolean auditHeader(State st) {
    Settings settings = st.settings();
    return settings.mode() == Mode.AUDIT && settings.audit().addHeader();
  }

  /** Decides one recipient from its route; logs a line when the route is not healthy. */
  RouteDecider.RecipientDecision decideRecipient(State st, MilterContext ctx, String recipient,
      Optional<String> client) {
    Settings settings = st.settings();
    RouteDecider.RecipientDecision rd = routes.decide(settings, recipient, ctx.macro("{rcpt_mailer}"),
        ctx.macro("{rcpt_host}"));
    if (rd.healthy()) {
      if (DECISIONS.isDebugEnabled()) {
        DECISIONS.debug(DecisionLine.healthyRecipient(rd, ctx.connectionId()));
      }
    } else {
      Decision d = rd.decision();
      decisions.labels(settings.mode().name().toLowerCase(Locale.ROOT), d.action().word(), d.status().verdict().word())
          .increment();
      String line = DecisionLine.recipient(settings.mode(), rd, client, ctx.macro("{daemon_name}"), ctx.connectionId());
      if (d.action() == Action.TEMPFAIL || d.action() == Action.HOLD) {
        DECISIONS.warn(line);
      } else {
        DECISIONS.info(line);
      }
    }
    return rd;
  }

  /** The one line for a message whose recipients were looked at one by one and all found healthy. */
  void messageSummary(State st, MilterContext ctx, Optional<String> client,
      List<RouteDecider.RecipientDecision> recipients) {
    DECISIONS.info(DecisionLine.messageSummary(st.settings().mode(), recipients, client, ctx.macro("{daemon_name}"),
        ctx.macro("i"), ctx.connectionId()));
    rememberRecipients(ctx, recipients);
  }

  /**
   * Remembers, by queue ID, the verdict of each recipient's route (its decision's, else the worst
   * of the route's families), so a receiver's rejection can be set against it.
   */
  void rememberRecipients(MilterContext ctx, List<RouteDecider.RecipientDecision> recipients) {
    Map<String, Verdict> byRcpt = new HashMap<>();
    for (RouteDecider.RecipientDecision r : recipients) {
      byRcpt.put(r.recipient(), r.decision() != null ? r.decision().status().verdict()
          : Verdict.worst(java.util.stream.Stream.of(r.route().ipv4(), r.route().ipv6())
              .flatMap(Optional::stream).map(IdentityStatus::verdict).toList()));
    }
    ctx.macro("i").ifPresent(q -> queueVerdicts.remember(q, Verdict.worst(List.copyOf(byRcpt.values())), byRcpt));
  }

  /** The line saying which recipients' routes put a message on hold. */
  void messageHeld(MilterContext ctx, Optional<String> client, List<RouteDecider.RecipientDecision> held) {
    DECISIONS.warn(DecisionLine.messageHeld(held, client, ctx.macro("{daemon_name}"), ctx.macro("i"), ctx.connectionId()));
    rememberRecipients(ctx, held);
  }

  static boolean needsSender(State st) {
    return st.selector().needsSender();
  }

  /** Empty scope guards everyone; otherwise only clients with an address inside it. */
  static boolean inScope(State st, Optional<InetAddress> client) {
    List<CidrRange> scope = st.scope();
    return scope.isEmpty() || client.map(a -> scope.stream().anyMatch(r -> r.contains(a))).orElse(false);
  }

  /** Decides for the traffic of this session (and this sender, at MAIL); never fails. */
  CompletionStage<Optional<Decision>> decide(State st, MilterContext ctx, Optional<String> client,
      Optional<String> sender, String stage) {
    Optional<IdentitySettings> identity = st.selector().select(ctx.macro("{daemon_name}"), sender);
    if (identity.isEmpty()) {
      LOG.info("event=unguarded reason=no-identity-applies stage={} client={} daemon={} sender={} conn={}", stage,
          LogValues.of(client.orElse("-")), LogValues.of(ctx.macro("{daemon_name}").orElse("-")),
          LogValues.of(sender.orElse("-")), ctx.connectionId());
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String name = identity.get().name();
    return statusFor(st, identity.get()).thenApply(status -> {
      // Decided with the settings the status belongs to, even if a reload came during a cold wait.
      Decision d = DecisionMaker.decide(st.settings(), status);
      record(st.settings().mode(), d, stage, client, ctx);
      return Optional.of(d);
    });
  }

  private CompletionStage<IdentityStatus> statusFor(State st, IdentitySettings identity) {
    Settings settings = st.settings();
    IdentityStatusSource statuses = st.statuses();
    Optional<IdentityStatus> warm = statuses.peek(identity.name());
    if (warm.isPresent()) {
      return CompletableFuture.completedFuture(warm.get());
    }
    coldWaits.labels().increment();
    // Before a check has run, an auto EHLO name is not known yet: "-" as for the address, never "auto".
    String ehlo = identity.ehlo().orElse("-");
    if (waiting.incrementAndGet() > settings.limits().maxWaitingSessions()) {
      waiting.decrementAndGet();
      return CompletableFuture.completedFuture(IdentityStatus.unknown(identity.name(), "-", ehlo,
          "identity check not finished and too many sessions already waiting for it"));
    }
    Duration budget = settings.dns().checkBudget();
    return statuses.status(identity.name()).toCompletableFuture()
        .completeOnTimeout(IdentityStatus.unknown(identity.name(), "-", ehlo,
            "identity check not finished within " + budget.toMillis() + " ms"), budget.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((s, e) -> waiting.decrementAndGet());
  }

  /**
   * A message that the session's decision keeps to end of message (hold, or the audit header): one more
   * decision line, now with Postfix's queue ID, so {@code postqueue -p} and the mail log can be matched
   * to it. Not counted again in the metrics: the decision was counted when it was made.
   */
  void messageDecided(State st, Decision d, Optional<String> client, MilterContext ctx) {
    Mode mode = st.settings().mode();
    String line = DecisionLine.format(mode, d, "message", client, ctx.macro("{daemon_name}"), ctx.macro("i"),
        ctx.connectionId());
    ctx.macro("i").ifPresent(q -> queueVerdicts.remember(q, d.status().verdict()));
    if (d.action() == Action.HOLD) {
      DECISIONS.warn(line);
    } else {
      DECISIONS.info(line);
    }
  }

  private void record(Mode mode, Decision d, String stage, Optional<String> client, MilterContext ctx) {
    decisions.labels(mode.name().toLowerCase(Locale.ROOT), d.action().word(), d.status().verdict().word()).increment();
    String line = DecisionLine.format(mode, d, stage, client, ctx.macro("{daemon_name}"), ctx.connectionId());
    if (d.action() == Action.TEMPFAIL || d.action() == Action.HOLD) {
      DECISIONS.warn(line);
    } else {
      DECISIONS.info(line);
    }
  }
}
