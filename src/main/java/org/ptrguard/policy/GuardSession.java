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
    recipients.clear();
    inScope = guard.inScope(clientAddress);
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
    if (guard.routeMode()) {
      return routeModeStart(ctx, "helo");
    }
    if (decidedForSession || guard.needsSender()) {
      return CONTINUE;
    }
    return guard.decide(ctx, client, Optional.empty(), "helo").thenApply(d -> {
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
    if (guard.routeMode()) {
      recipients.clear();
      return routeModeStart(ctx, "mail");
    }
    Optional<String> sender = argv.isEmpty() ? Optional.empty() : IdentitySelector.senderDomain(argv.get(0));
    return guard.decide(ctx, client, sender, "mail").thenApply(d -> {
      decision = d.orElse(null);
      return reply(d);
    });
  }

  /**
   * Route mode at HELO or MAIL: all routes healthy lets the session go at once (as without routes);
   * otherwise the recipients are looked at one by one.
   */
  private CompletionStage<MilterReply> routeModeStart(MilterContext ctx, String stage) {
    if (decidedForSession) {
      return CONTINUE;
    }
    // audit.add-header wants every message to end of message, healthy or not.
    if (!guard.auditHeader() && guard.routesHealthy(ctx, client, stage)) {
      decidedForSession = true;
      perRecipient = false;
      return CompletableFuture.completedFuture(MilterReply.ACCEPT);
    }
    perRecipient = true;
    return CONTINUE;
  }

  @Override
  public CompletionStage<MilterReply> rcpt(MilterContext ctx, List<String> argv) {
    if (!inScope || !perRecipient || decidedForSession) {
      return CONTINUE;
    }
    String recipient = argv.isEmpty() ? "" : argv.get(0);
    RouteDecider.RecipientDecision rd = guard.decideRecipient(ctx, recipient, client);
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
      return CompletableFuture.completedFuture(endOfRoutedMessage(ctx));
    }
    Decision d = decision;
    if (!decidedForSession) {
      decision = null;
    }
    if (d == null) {
      return CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.CONTINUE));
    }
    if (d.action() == Decision.Action.HOLD || d.action() == Decision.Action.ADD_HEADER) {
      guard.messageDecided(d, client, ctx);
    }
    return CompletableFuture.completedFuture(switch (d.action()) {
      case HOLD -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.quarantine(d.note()));
      case ADD_HEADER -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, d.note()));
      default -> EndOfMessageReply.of(MilterReply.CONTINUE);
    });
  }

  /** Hold when any accepted recipient's route is broken; one summary line when all were healthy. */
  private EndOfMessageReply endOfRoutedMessage(MilterContext ctx) {
    List<RouteDecider.RecipientDecision> mine = List.copyOf(recipients);
    recipients.clear();
    List<RouteDecider.RecipientDecision> held = mine.stream()
        .filter(r -> r.decision() != null && r.decision().action() == Decision.Action.HOLD).toList();
    if (!held.isEmpty()) {
      guard.messageHeld(ctx, client, held);
      return EndOfMessageReply.of(MilterReply.CONTINUE, Modification.quarantine(held.get(0).decision().note()));
    }
    if (mine.stream().allMatch(RouteDecider.RecipientDecision::healthy)) {
      guard.messageSummary(ctx, client, mine);
      return guard.auditHeader()
          ? EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, "pass routes=healthy"))
          : EndOfMessageReply.of(MilterReply.CONTINUE);
    }
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
