package org.ptrguard.milter;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Callbacks of one milter session. All methods are called on the connection's event loop, one at a
 * time, in protocol order. A callback may complete its stage later (for example after DNS); the
 * session waits without blocking the event loop and queues further frames meanwhile. A callback
 * that throws or completes exceptionally makes the session answer TEMPFAIL. Defaults answer CONTINUE.
 */
public interface MilterHandler {
  CompletionStage<MilterReply> CONTINUE = CompletableFuture.completedFuture(MilterReply.CONTINUE);

  default CompletionStage<MilterReply> connect(MilterContext ctx, ConnectInfo info) {
    return CONTINUE;
  }

  default CompletionStage<MilterReply> helo(MilterContext ctx, String heloName) {
    return CONTINUE;
  }

  /** argv[0] is the address as sent: with angle brackets from smtpd, bare from non_smtpd. */
  default CompletionStage<MilterReply> mail(MilterContext ctx, List<String> argv) {
    return CONTINUE;
  }

  default CompletionStage<MilterReply> rcpt(MilterContext ctx, List<String> argv) {
    return CONTINUE;
  }

  default CompletionStage<MilterReply> data(MilterContext ctx) {
    return CONTINUE;
  }

  default CompletionStage<MilterReply> header(MilterContext ctx, String name, String value) {
    return CONTINUE;
  }

  default CompletionStage<MilterReply> endOfHeaders(MilterContext ctx) {
    return CONTINUE;
  }

  default CompletionStage<MilterReply> body(MilterContext ctx, byte[] chunk) {
    return CONTINUE;
  }

  /** Modifications (sent only if their action was negotiated) and the final reply of the message. */
  default CompletionStage<EndOfMessageReply> endOfMessage(MilterContext ctx) {
    return CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.CONTINUE));
  }

  default CompletionStage<MilterReply> unknown(MilterContext ctx, String command) {
    return CONTINUE;
  }

  /** Per-message reset (ABORT). May be called twice in a row, and after end of message. */
  default void abort(MilterContext ctx) {}

  /** The session is over (QUIT, QUIT_NC, close or error). Called exactly once per handler. */
  default void closed(MilterContext ctx) {}
}
