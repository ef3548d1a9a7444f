package org.ptrguard.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.ptrguard.milter.ConnectInfo;
import org.ptrguard.milter.EndOfMessageReply;
import org.ptrguard.milter.MilterContext;
import org.ptrguard.milter.MilterEvent;
import org.ptrguard.milter.MilterHandler;
import org.ptrguard.milter.MilterReply;
import org.ptrguard.milter.Modification;

/**
 * One milter connection: one SMTP session, or one message from cleanup (non_smtpd_milters).
 *
 * <p>CONNECT only records the client: Postfix is told not to wait for its answer (see
 * Guard#NEEDS), so a client outside the scope is let go at HELO or MAIL. The decision is made at HELO, or at MAIL when the client sent no HELO or when the identity
 * depends on the sender's domain (then per message). ACCEPT ends Postfix's milter conversation for
 * the session (HELO) or the message (MAIL); HOLD and ADD_HEADER keep it to end of message.
 */
final class GuardSession implements MilterHandler {
  static final String HEADER = "X-PTRGuard";
  /** The audit header's value for a message whose recipients' routes are all healthy. */
  static final String HEALTHY_ROUTES = "pass routes=healthy";

  private final Guard guard;
  private Optional<InetAddress> clientAddress = Optional.empty();
  private Optional<String> client = Optional.empty();
  /**
   * Out-of-scope sessions are left alone, also when CONNECT's ACCEPT was negotiated as no-reply and
   * Postfix keeps talking. True until CONNECT says otherwise, as before CONNECT nothing is known.
   */
  private boolean inScope = true;
  private boolean decidedForSession;
  /** The decision for the current message; kept across messages when made at HELO. */
  private Decision decision;
  /** Route mode with some route broken: recipients are decided one by one at RCPT. */
  private boolean perRecipient;
  /** Route mode, all healthy, audit.add-header: each message gets the header and a line at its end. */
  private boolean healthyHeader;
  /** The current message's recipients (per-recipient mode only). */
  private final List<RouteDecider.RecipientDecision> recipients = new ArrayList<>();

  GuardSession(Guard guard) {
    this.guard = guard;
  }

  @Override
  public CompletionStage<MilterReply> connect(MilterContext ctx, ConnectInfo info) {
    clientAddress = info.address();
    client = Optional.of(info.address().map(InetAddress::getHostAddress).orElse(info.rawAddress()));
    decidedForSession = false;
    decision = null;
    perRecipient = false;
    healthyHeader = false;
    recipients.clear();
    inScope = Guard.inScope(guard.state(), clientAddress);
    if (!inScope) {
      return CompletableFuture.completedFuture(MilterReply.ACCEPT);
    }
    return CONTINUE;
  }

  @Override
  public CompletionStage<MilterReply> helo(MilterContext ctx, String heloName) {
    // A second HELO (after STARTTLS) changes nothing: the outbound identity is not the client's.
    if (!inScope) {
      return CompletableFuture.completedFuture(MilterReply.ACCEPT);
    }
    Guard.State st = guard.state();
    if (guard.routeMode()) {
      return routeModeStart(ctx, st, "helo");
    }
    if (decidedForSession || Guard.needsSender(st)) {
      return CONTINUE;
    }
    return guard.decide(st, ctx, client, Optional.empty(), "helo").thenApply(d -> {
      decidedForSession = true;
      decision = d.orElse(null);
      return reply(d);
    });
  }

  @Override
  public CompletionStage<MilterReply> mail(MilterContext ctx, List<String> argv) {
    if (!inScope) {
      return CompletableFuture.completedFuture(MilterReply.ACCEPT);
    }
    if (decidedForSession) {
      return CONTINUE;
    }
    Guard.State st = guard.state();
    if (guard.routeMode()) {
      recipients.clear();
      return routeModeStart(ctx, st, "mail");
    }
    Optional<String> sender = argv.isEmpty() ? Optional.empty() : IdentitySelector.senderDomain(argv.get(0));
    return guard.decide(st, ctx, client, sender, "mail").thenApply(d -> {
      decision = d.orElse(null);
      return reply(d);
    });
  }

  /**
   * Route mode at HELO or MAIL: all routes healthy lets the session go at once (as without routes),
   * or with the audit header follows its messages to end of message without looking at recipients;
   * otherwise the recipients are looked at one by one.
   *
   * <p>A connection opened while every route was healthy was not sent RCPT events (Guard#needs): it
   * keeps that health for its life, as a session without routes keeps its HELO decision.
   */
  private CompletionStage<MilterReply> routeModeStart(MilterContext ctx, Guard.State st, String stage) {
    if (decidedForSession) {
      return CONTINUE;
    }
    boolean rcptFlows = ctx.needs().events().contains(MilterEvent.RCPT);
    if (rcptFlows && !guard.routesHealthy(st)) {
      perRecipient = true;
      return CONTINUE;
    }
    decidedForSession = true;
    perRecipient = false;
    guard.sessionHealthy(st, ctx, client, stage);
    if (Guard.auditHeader(st)) {
      healthyHeader = true;
      return CONTINUE;
    }
    return CompletableFuture.completedFuture(MilterReply.ACCEPT);
  }

  @Override
  public CompletionStage<MilterReply> rcpt(MilterContext ctx, List<String> argv) {
    if (!inScope || !perRecipient || decidedForSession) {
      return CONTINUE;
    }
    String recipient = argv.isEmpty() ? "" : argv.get(0);
    RouteDecider.RecipientDecision rd = guard.decideRecipient(guard.state(), ctx, recipient, client);
    // Kept even when refused: a message with a refused recipient has had its line, no summary.
    recipients.add(rd);
    if (rd.decision() != null && rd.decision().action() == Decision.Action.TEMPFAIL) {
      // Only this recipient is refused: it stays in the client's queue; the others go on.
      return CompletableFuture.completedFuture(MilterReply.replyCode(rd.decision().smtpReply()));
    }
    return CONTINUE;
  }

  @Override
  public CompletionStage<EndOfMessageReply> endOfMessage(MilterContext ctx) {
    if (perRecipient) {
      return CompletableFuture.completedFuture(endOfRoutedMessage(ctx, guard.state()));
    }
    if (healthyHeader) {
      guard.messageHealthy(guard.state(), ctx, client);
      return CompletableFuture.completedFuture(
          EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, HEALTHY_ROUTES)));
    }
    Decision d = decision;
    if (!decidedForSession) {
      decision = null;
    }
    if (d == null) {
      return CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.CONTINUE));
    }
    if (d.action() == Decision.Action.HOLD || d.action() == Decision.Action.ADD_HEADER) {
      guard.messageDecided(guard.state(), d, client, ctx);
    }
    return CompletableFuture.completedFuture(switch (d.action()) {
      case HOLD -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.quarantine(d.note()));
      case ADD_HEADER -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, d.note()));
      default -> EndOfMessageReply.of(MilterReply.CONTINUE);
    });
  }

  /** Hold when any accepted recipient's route is broken; one summary line when all were healthy. */
  private EndOfMessageReply endOfRoutedMessage(MilterContext ctx, Guard.State st) {
    List<RouteDecider.RecipientDecision> mine = List.copyOf(recipients);
    recipients.clear();
    List<RouteDecider.RecipientDecision> held = mine.stream()
        .filter(r -> r.decision() != null && r.decision().action() == Decision.Action.HOLD).toList();
    if (!held.isEmpty()) {
      guard.messageHeld(ctx, client, held);
      return EndOfMessageReply.of(MilterReply.CONTINUE, Modification.quarantine(held.get(0).decision().note()));
    }
    if (mine.stream().allMatch(RouteDecider.RecipientDecision::healthy)) {
      guard.messageSummary(st, ctx, client, mine);
      return Guard.auditHeader(st)
          ? EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, HEALTHY_ROUTES))
          : EndOfMessageReply.of(MilterReply.CONTINUE);
    }
    guard.rememberRecipients(ctx, mine);
    Optional<Decision> header = mine.stream().map(RouteDecider.RecipientDecision::decision)
        .filter(d -> d != null && d.action() == Decision.Action.ADD_HEADER).findFirst();
    return header.map(d -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, d.note())))
        .orElseGet(() -> EndOfMessageReply.of(MilterReply.CONTINUE));
  }

  @Override
  public void abort(MilterContext ctx) {
    recipients.clear();
    if (!decidedForSession) {
      decision = null;
    }
  }

  private static MilterReply reply(Optional<Decision> decision) {
    if (decision.isEmpty()) {
      return MilterReply.ACCEPT;
    }
    return switch (decision.get().action()) {
      case ACCEPT -> MilterReply.ACCEPT;
      case TEMPFAIL -> MilterReply.replyCode(decision.get().smtpReply());
      case HOLD, ADD_HEADER -> MilterReply.CONTINUE;
    };
  }
}
