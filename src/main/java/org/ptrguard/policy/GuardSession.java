package org.ptrguard.policy;

import java.net.InetAddress;
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

  GuardSession(Guard guard) {
    this.guard = guard;
  }

  @Override
  public CompletionStage<MilterReply> connect(MilterContext ctx, ConnectInfo info) {
    clientAddress = info.address();
    client = Optional.of(info.address().map(InetAddress::getHostAddress).orElse(info.rawAddress()));
    decidedForSession = false;
    decision = null;
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
    Optional<String> sender = argv.isEmpty() ? Optional.empty() : IdentitySelector.senderDomain(argv.get(0));
    return guard.decide(ctx, client, sender, "mail").thenApply(d -> {
      decision = d.orElse(null);
      return reply(d);
    });
  }

  @Override
  public CompletionStage<EndOfMessageReply> endOfMessage(MilterContext ctx) {
    Decision d = decision;
    if (!decidedForSession) {
      decision = null;
    }
    if (d == null) {
      return CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.CONTINUE));
    }
    return CompletableFuture.completedFuture(switch (d.action()) {
      case HOLD -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.quarantine(d.note()));
      case ADD_HEADER -> EndOfMessageReply.of(MilterReply.CONTINUE, Modification.addHeader(HEADER, d.note()));
      default -> EndOfMessageReply.of(MilterReply.CONTINUE);
    });
  }

  @Override
  public void abort(MilterContext ctx) {
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
