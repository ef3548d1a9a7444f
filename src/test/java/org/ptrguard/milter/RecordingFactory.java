package org.ptrguard.milter;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A test handler factory: records every callback as a line ("helo mx.example"), lets a test choose
 * the reply per stage, and observe the context at each callback.
 */
final class RecordingFactory implements MilterHandlerFactory {
  final ProtocolNeeds needs;
  /**
   * Written by the server's event loops (a session's "closed" line lands when the server sees the
   * socket go, which can be while the test thread already asserts on the list), read by the test:
   * a copy-on-write list, because AssertJ iterates it and a synchronized list's iterator is not
   * synchronized (it threw ConcurrentModificationException under load).
   */
  final List<String> calls = new CopyOnWriteArrayList<>();
  final AtomicInteger sessions = new AtomicInteger();
  volatile Function<String, CompletionStage<MilterReply>> replies = stage -> MilterHandler.CONTINUE;
  volatile Supplier<CompletionStage<EndOfMessageReply>> endOfMessage =
      () -> CompletableFuture.completedFuture(EndOfMessageReply.of(MilterReply.CONTINUE));
  volatile BiConsumer<String, MilterContext> observer = (stage, ctx) -> {};

  RecordingFactory(ProtocolNeeds needs) {
    this.needs = needs;
  }

  RecordingFactory() {
    this(ProtocolNeeds.defaults());
  }

  /** Replies {@code reply} at {@code stage}, CONTINUE elsewhere. */
  RecordingFactory replyAt(String stage, MilterReply reply) {
    replies = s -> CompletableFuture.completedFuture(s.equals(stage) ? reply : MilterReply.CONTINUE);
    return this;
  }

  @Override
  public ProtocolNeeds needs() {
    return needs;
  }

  @Override
  public MilterHandler newSession(SessionInfo info) {
    int n = sessions.incrementAndGet();
    calls.add("session " + n);
    return new MilterHandler() {
      private CompletionStage<MilterReply> on(String stage, MilterContext ctx, String line) {
        calls.add(line);
        observer.accept(stage, ctx);
        return replies.apply(stage);
      }

      @Override
      public CompletionStage<MilterReply> connect(MilterContext ctx, ConnectInfo c) {
        return on("connect", ctx, "connect " + c.hostname() + " " + c.family() + " " + c.port() + " "
            + c.address().map(a -> a.getHostAddress()).orElse("-") + " raw=" + c.rawAddress());
      }

      @Override
      public CompletionStage<MilterReply> helo(MilterContext ctx, String name) {
        return on("helo", ctx, "helo " + name);
      }

      @Override
      public CompletionStage<MilterReply> mail(MilterContext ctx, List<String> argv) {
        return on("mail", ctx, "mail " + argv);
      }

      @Override
      public CompletionStage<MilterReply> rcpt(MilterContext ctx, List<String> argv) {
        return on("rcpt", ctx, "rcpt " + argv);
      }

      @Override
      public CompletionStage<MilterReply> data(MilterContext ctx) {
        return on("data", ctx, "data");
      }

      @Override
      public CompletionStage<MilterReply> header(MilterContext ctx, String name, String value) {
        return on("header", ctx, "header " + name + ": " + value);
      }

      @Override
      public CompletionStage<MilterReply> endOfHeaders(MilterContext ctx) {
        return on("eoh", ctx, "eoh");
      }

      @Override
      public CompletionStage<MilterReply> body(MilterContext ctx, byte[] chunk) {
        return on("body", ctx, "body " + chunk.length);
      }

      @Override
      public CompletionStage<MilterReply> unknown(MilterContext ctx, String command) {
        return on("unknown", ctx, "unknown " + command);
      }

      @Override
      public CompletionStage<EndOfMessageReply> endOfMessage(MilterContext ctx) {
        calls.add("eom");
        observer.accept("eom", ctx);
        return endOfMessage.get();
      }

      @Override
      public void abort(MilterContext ctx) {
        calls.add("abort");
        observer.accept("abort", ctx);
      }

      @Override
      public void closed(MilterContext ctx) {
        calls.add("closed " + n);
      }
    };
  }
}
