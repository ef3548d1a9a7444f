package org.ptrguard.milter;

import static org.ptrguard.milter.HandlerCalls.safely;
import static org.ptrguard.milter.HandlerCalls.unwrap;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import io.netty.util.concurrent.ScheduledFuture;
import org.ptrguard.milter.MilterCommand.Abort;
import org.ptrguard.milter.MilterCommand.Body;
import org.ptrguard.milter.MilterCommand.Connect;
import org.ptrguard.milter.MilterCommand.Data;
import org.ptrguard.milter.MilterCommand.EndOfHeaders;
import org.ptrguard.milter.MilterCommand.EndOfMessage;
import org.ptrguard.milter.MilterCommand.Header;
import org.ptrguard.milter.MilterCommand.Helo;
import org.ptrguard.milter.MilterCommand.Macro;
import org.ptrguard.milter.MilterCommand.Mail;
import org.ptrguard.milter.MilterCommand.Malformed;
import org.ptrguard.milter.MilterCommand.OptionNegotiation;
import org.ptrguard.milter.MilterCommand.Quit;
import org.ptrguard.milter.MilterCommand.QuitNewConnection;
import org.ptrguard.milter.MilterCommand.Rcpt;
import org.ptrguard.milter.MilterCommand.Unknown;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of one milter connection. Frames are processed strictly in order; while a
 * handler callback is pending, later frames wait in a bounded queue (and the channel stops reading),
 * so replies always leave in the order the MTA expects them. Exactly one reply is sent per event
 * that the MTA waits for, and none for MACRO, ABORT, QUIT and events negotiated as no-reply: any
 * other count would desynchronise the MTA.
 */
final class MilterSession extends ChannelInboundHandlerAdapter implements MilterContext {
  private static final Logger LOG = LoggerFactory.getLogger(MilterSession.class);

  /** Postfix waits for each reply, so only MACRO frames and no-reply events can pile up. */
  static final int MAX_QUEUED_FRAMES = 4096;

  private final MilterHandlerFactory factory;
  private final ProtocolNeeds needs;
  private final MilterServerOptions options;
  private final SessionInfo info;
  private final MacroStore macros = new MacroStore();
  private final ArrayDeque<MilterCommand> queue = new ArrayDeque<>();

  private ChannelHandlerContext ctx;
  private SessionState state = SessionState.opening();
  /** The handler of the current SMTP session; null before it is created and once told it is closed. */
  private MilterHandler handler;
  /** A handler callback is pending: later frames wait in the queue. */
  private boolean busy;
  /** drain() is on the stack (a reply written inside it can make the channel writable again and re-enter). */
  private boolean draining;
  private ScheduledFuture<?> progressTimer;

  private final MilterStats stats;
  /** Every line a peer can cause once per connection goes through it (see {@link LogRateLimit}). */
  private final LogRateLimit logLimit;

  MilterSession(MilterHandlerFactory factory, ProtocolNeeds needs, MilterServerOptions options, SessionInfo info,
      MilterStats stats, LogRateLimit logLimit) {
    this.stats = stats;
    this.logLimit = logLimit;
    this.factory = factory;
    this.needs = needs;
    this.options = options;
    this.info = info;
  }

  // ---- MilterContext

  @Override
  public long connectionId() {
    return info.connectionId();
  }

  @Override
  public Optional<String> macro(String name) {
    return macros.get(name);
  }

  @Override
  public Optional<ConnectInfo> connectInfo() {
    return state.connectInfo();
  }

  @Override
  public ProtocolNeeds needs() {
    return needs;
  }

  // ---- Netty events

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (!newHandler()) {
      return;
    }
    LOG.debug("event=milter-open conn={} remote={}", info.connectionId(), LogValues.of(info.remoteAddress()));
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof MilterCommand command)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (state.closing()) {
      return;
    }
    if (queue.size() >= MAX_QUEUED_FRAMES) {
      protocolError("more than " + MAX_QUEUED_FRAMES + " frames queued while the handler is busy");
      return;
    }
    queue.add(command);
    drain();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (busy) {
        return; // we are the ones being slow; the MTA's own timeout governs that
      }
      logLimit.info(LOG, "idle-timeout", "event=milter-idle-timeout conn={} remote={} idle={}", info.connectionId(),
          LogValues.of(info.remoteAddress()), options.idleTimeout());
      state = state.close();
      AbortiveClose.close(ctx);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      if (state.closing() || state.mtaWillClose()) {
        LOG.debug("event=milter-connection-error conn={} error={}", info.connectionId(), LogValues.of(cause.getMessage()));
      } else {
        logLimit.info(LOG, "connection-error", "event=milter-connection-error conn={} remote={} error={}", info.connectionId(),
            LogValues.of(info.remoteAddress()), LogValues.of(cause.getMessage()));
      }
    } else {
      logLimit.warn(LOG, "internal-error", "event=milter-internal-error conn={} error={}", info.connectionId(),
          LogValues.of(cause));
    }
    close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = state.close();
    queue.clear();
    stopProgress();
    LOG.debug("event=milter-closed conn={} expected={}", info.connectionId(), state.mtaWillClose());
    notifyClosed();
    ctx.fireChannelInactive();
  }

  // ---- processing

  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      // Replies that cannot leave (a client that does not read them) stop processing and reading,
      // so memory for them stays at Netty's write-buffer high-water mark. Postfix reads every reply.
      while (!busy && !state.closing() && !queue.isEmpty() && ctx.channel().isWritable()) {
        process(queue.poll());
      }
    } finally {
      draining = false;
    }
    if (!state.closing() && ctx.channel().isActive()) {
      ctx.channel().config().setAutoRead(!busy && ctx.channel().isWritable());
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (!state.closing()) {
      drain();
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void process(MilterCommand command) {
    stats.command(command);
    if (command instanceof Malformed m) {
      protocolError(m.reason());
      return;
    }
    if (state.negotiated().isEmpty() && !(command instanceof OptionNegotiation)) {
      protocolError("expected OPTNEG first, got " + command.getClass().getSimpleName());
      return;
    }
    if (command instanceof OptionNegotiation o) {
      negotiate(o);
    } else if (command instanceof Macro m) {
      storeMacros(m);
    } else if (command instanceof Connect c) {
      state = state.connected(c.info());
      macros.clearAfter(MacroStage.CONNECT);
      event(MilterEvent.CONNECT, () -> handler.connect(this, c.info()));
    } else if (command instanceof Helo h) {
      macros.clearAfter(MacroStage.HELO);
      event(MilterEvent.HELO, () -> handler.helo(this, h.name()));
    } else if (command instanceof Mail m) {
      macros.clearAfter(MacroStage.MAIL);
      event(MilterEvent.MAIL, () -> handler.mail(this, m.argv()));
    } else if (command instanceof Rcpt r) {
      event(MilterEvent.RCPT, () -> handler.rcpt(this, r.argv()));
    } else if (command instanceof Data) {
      event(MilterEvent.DATA, () -> handler.data(this));
    } else if (command instanceof Header h) {
      event(MilterEvent.HEADER, () -> handler.header(this, h.name(), h.value()));
    } else if (command instanceof EndOfHeaders) {
      event(MilterEvent.END_OF_HEADERS, () -> handler.endOfHeaders(this));
    } else if (command instanceof Body b) {
      event(MilterEvent.BODY, () -> handler.body(this, b.chunk()));
    } else if (command instanceof Unknown u) {
      event(MilterEvent.UNKNOWN, () -> handler.unknown(this, u.command()));
    } else if (command instanceof EndOfMessage e) {
      endOfMessage(e);
    } else if (command instanceof Abort) {
      abort();
    } else if (command instanceof Quit) {
      quit();
    } else if (command instanceof QuitNewConnection) {
      quitNewConnection();
    }
  }

  private void negotiate(OptionNegotiation offer) {
    if (state instanceof SessionState.InSession) {
      protocolError("OPTNEG in the middle of an SMTP session");
      return;
    }
    Negotiation negotiation;
    try {
      negotiation = Negotiation.negotiate(offer, needs);
    } catch (Negotiation.Refused e) {
      protocolError(e.getMessage());
      return;
    }
    state = new SessionState.Negotiated(negotiation);
    negotiation.warnings().forEach(w -> logLimit.warn(LOG, "negotiation", "event=milter-negotiation conn={} warning={}",
        info.connectionId(), LogValues.of(w)));
    if (LOG.isDebugEnabled()) {
      LOG.debug("event=milter-negotiated conn={} offer_version={} offer_actions=0x{} offer_protocol=0x{} version={} actions=0x{} protocol=0x{}",
          info.connectionId(), offer.version(), Integer.toHexString(offer.actions()), Integer.toHexString(offer.protocol()),
          negotiation.version(), Integer.toHexString(negotiation.actions()), Integer.toHexString(negotiation.protocol()));
    }
    send(negotiation.reply());
  }

  private void storeMacros(Macro m) {
    Optional<MacroStage> stage = MacroStage.forCommand(m.command());
    if (stage.isEmpty()) {
      LOG.debug("event=milter-macros-ignored conn={} target={}", info.connectionId(), LogValues.of(String.valueOf(m.command())));
      return;
    }
    if (m.pairs() > options.maxMacrosPerStage()) {
      protocolError(m.pairs() + " macros for stage " + stage.get() + ", limit " + options.maxMacrosPerStage());
      return;
    }
    int total = macros.put(stage.get(), m.macros(), m.bytes());
    if (total > options.maxMacroBytes()) {
      protocolError("macros take " + total + " bytes, limit " + options.maxMacroBytes());
    }
  }

  private void event(MilterEvent event, Supplier<CompletionStage<MilterReply>> call) {
    boolean replyExpected = state.negotiated().orElseThrow().expectsReply(event);
    if (!needs.events().contains(event)) {
      // The MTA could not be told to skip it: answer for the handler.
      if (replyExpected) {
        send(OutboundFrame.of(MilterReply.CONTINUE));
      }
      return;
    }
    await(safely(call), (reply, error) -> finishEvent(event, reply, error, replyExpected));
  }

  private void finishEvent(MilterEvent event, MilterReply answer, Throwable error, boolean replyExpected) {
    MilterReply reply = orTempfail(event.name(), answer, error, MilterReply.TEMPFAIL);
    if (!replyExpected) {
      // ACCEPT only says "nothing more to do here", which costs nothing to leave unsaid; any other
      // reply would have changed the mail's fate, so dropping it is worth a line.
      if (!reply.equals(MilterReply.CONTINUE) && !reply.equals(MilterReply.ACCEPT)) {
        LOG.warn("event=milter-reply-dropped conn={} stage={} reply={} reason=negotiated-no-reply",
            info.connectionId(), event, LogValues.of(reply));
      }
      return;
    }
    boolean connectionStage = event == MilterEvent.CONNECT || event == MilterEvent.HELO;
    if (connectionStage && reply.code() == MilterProtocol.SMFIR_DISCARD) {
      // Postfix refuses DISCARD before a message exists and would apply its default action.
      LOG.warn("event=milter-reply-replaced conn={} stage={} reply=DISCARD sent=TEMPFAIL reason=discard-needs-a-message",
          info.connectionId(), event);
      reply = MilterReply.TEMPFAIL;
    }
    if (connectionStage && reply.endsConnection()) {
      state = state.mtaClosing();
    }
    send(OutboundFrame.of(reply));
  }

  private void endOfMessage(EndOfMessage eom) {
    CompletionStage<EndOfMessageReply> stage;
    if (eom.lastChunk().length > 0 && needs.events().contains(MilterEvent.BODY)) {
      stage = safely(() -> handler.body(this, eom.lastChunk())).thenCompose(r -> MilterReply.CONTINUE.equals(r)
          ? safely(() -> handler.endOfMessage(this))
          : CompletableFuture.completedFuture(EndOfMessageReply.of(r)));
    } else {
      stage = safely(() -> handler.endOfMessage(this));
    }
    startProgress();
    await(stage, this::finishEndOfMessage);
  }

  private void finishEndOfMessage(EndOfMessageReply answer, Throwable error) {
    stopProgress();
    EndOfMessageReply reply = orTempfail("END_OF_MESSAGE", answer, error, EndOfMessageReply.of(MilterReply.TEMPFAIL));
    Negotiation negotiation = state.negotiated().orElseThrow();
    for (Modification m : reply.modifications()) {
      if (negotiation.allows(m.action())) {
        ctx.write(OutboundFrame.of(m));
      } else {
        LOG.warn("event=milter-modification-dropped conn={} modification={} reason=action-not-negotiated action={}",
            info.connectionId(), LogValues.of(m), m.action());
      }
    }
    send(OutboundFrame.of(reply.finalReply()));
  }

  /** PROGRESS is legal only while the MTA waits for the end-of-message reply. */
  private void startProgress() {
    long every = options.progressInterval().toMillis();
    progressTimer = ctx.executor().scheduleAtFixedRate(() -> {
      if (!state.closing() && ctx.channel().isActive()) {
        LOG.debug("event=milter-progress conn={}", info.connectionId());
        send(OutboundFrame.progress());
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  private void stopProgress() {
    if (progressTimer != null) {
      progressTimer.cancel(false);
      progressTimer = null;
    }
  }

  private void abort() {
    try {
      handler.abort(this);
    } catch (RuntimeException e) {
      handlerError("ABORT", e);
    }
    macros.clearAfter(MacroStage.HELO);
  }

  private void quit() {
    state = state.close();
    queue.clear();
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /** The MTA reuses this connection for a new SMTP session: back to the state before CONNECT. */
  private void quitNewConnection() {
    notifyClosed();
    macros.clear();
    state = new SessionState.Negotiated(state.negotiated().orElseThrow());
    newHandler();
  }

  /**
   * The handler for a new SMTP session (at connect, and again after QUIT_NC). A factory that fails
   * leaves no handler to answer for: the connection closes, and Postfix applies its milter_default_action.
   *
   * @return false when the connection is closing for it
   */
  private boolean newHandler() {
    try {
      handler = factory.newSession(info);
      return true;
    } catch (RuntimeException e) {
      LOG.error("event=milter-handler-error stage=new-session conn={} error={}", info.connectionId(), LogValues.of(e));
      close();
      return false;
    }
  }

  /** Tells the current handler, once, that its SMTP session is over. */
  private void notifyClosed() {
    MilterHandler closed = handler;
    if (closed == null) {
      return;
    }
    handler = null;
    try {
      closed.closed(this);
    } catch (RuntimeException e) {
      handlerError("closed", e);
    }
  }

  /**
   * The handler's reply, or {@code tempfail} when the handler failed or answered nothing: the MTA
   * waits for a reply, and a temporary failure is the one that loses no mail.
   */
  private <T> T orTempfail(String stage, T reply, Throwable error, T tempfail) {
    if (error == null && reply != null) {
      return reply;
    }
    handlerError(stage, error == null ? "null reply" : unwrap(error));
    return tempfail;
  }

  private void handlerError(String stage, Object error) {
    LOG.warn("event=milter-handler-error conn={} stage={} error={}", info.connectionId(), stage, LogValues.of(error));
  }

  private void close() {
    state = state.close();
    ctx.close();
  }

  private void protocolError(String reason) {
    if (state.closing()) {
      return;
    }
    state = state.close();
    queue.clear();
    stats.protocolError();
    logLimit.warn(LOG, "protocol-error", "event=milter-protocol-error conn={} remote={} reason={}", info.connectionId(),
        LogValues.of(info.remoteAddress()), LogValues.of(reason));
    AbortiveClose.close(ctx);
  }

  private void send(OutboundFrame frame) {
    ctx.writeAndFlush(frame);
  }

  // ---- asynchronous completion

  private <T> void await(CompletionStage<T> stage, BiConsumer<T, Throwable> then) {
    busy = true;
    stage.whenComplete((value, error) -> onLoop(() -> {
      busy = false;
      if (state.closing() || !ctx.channel().isActive()) {
        stopProgress();
        return;
      }
      then.accept(value, error);
      drain();
    }));
  }

  private void onLoop(Runnable task) {
    if (ctx.executor().inEventLoop()) {
      task.run();
      return;
    }
    try {
      ctx.executor().execute(task);
    } catch (RejectedExecutionException e) {
      LOG.debug("event=milter-late-completion conn={} reason=event-loop-stopped", info.connectionId());
    }
  }
}
