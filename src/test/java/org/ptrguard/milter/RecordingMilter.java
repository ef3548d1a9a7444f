package org.ptrguard.milter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A test handler factory for real-MTA tests: records every event of every milter connection and
 * answers as the current {@link Behaviour} says. The behaviour is read when a connection opens, so one
 * running Postfix serves many test cases without a restart.
 */
final class RecordingMilter implements MilterHandlerFactory {

  /** What the handler answers; everything else is CONTINUE. */
  record Behaviour(MilterReply atHelo, EndOfMessageReply atEndOfMessage) {
    static Behaviour continueAll() {
      return new Behaviour(MilterReply.CONTINUE, new EndOfMessageReply(List.of(), MilterReply.CONTINUE));
    }

    static Behaviour replyAtHelo(MilterReply reply) {
      return new Behaviour(reply, continueAll().atEndOfMessage());
    }

    static Behaviour quarantineAtEndOfMessage(String reason) {
      return new Behaviour(MilterReply.CONTINUE,
          new EndOfMessageReply(List.of(Modification.quarantine(reason)), MilterReply.CONTINUE));
    }
  }

  /** Everything one milter connection saw, in order (e.g. "HELO client.test", "MAIL <a@b>", "ABORT"). */
  static final class Recorded {
    final SessionInfo info;
    final List<String> events = new CopyOnWriteArrayList<>();
    volatile ConnectInfo connect;
    volatile String macroJ;

    Recorded(SessionInfo info) {
      this.info = info;
    }

    long count(String prefix) {
      return events.stream().filter(e -> e.startsWith(prefix)).count();
    }

    boolean closed() {
      return events.contains("CLOSED");
    }

    @Override
    public String toString() {
      return "session " + info + " connect=" + connect + " events=" + events;
    }
  }

  private final ProtocolNeeds needs;
  private final List<Recorded> sessions = new CopyOnWriteArrayList<>();
  private volatile Behaviour behaviour = Behaviour.continueAll();

  RecordingMilter(ProtocolNeeds needs) {
    this.needs = needs;
  }

  void behave(Behaviour next) {
    this.behaviour = next;
  }

  List<Recorded> sessions() {
    return new ArrayList<>(sessions);
  }

  /** Waits for the session matching {@code test} to close (Postfix sends QUIT or hangs up). */
  Recorded awaitClosedSession(Predicate<Recorded> test, java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Recorded> hit = sessions.stream().filter(test).filter(Recorded::closed).findFirst();
      if (hit.isPresent()) {
        return hit.get();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no closed milter session matching the test within " + timeout + "; sessions: "
        + sessions);
  }

  /** The session of an SMTP client: Postfix reports the client's source port in CONNECT. */
  static Predicate<Recorded> fromClientPort(int port) {
    return r -> r.connect != null && r.connect.port() == port;
  }

  @Override
  public ProtocolNeeds needs() {
    return needs;
  }

  @Override
  public MilterHandler newSession(SessionInfo info) {
    Recorded recorded = new Recorded(info);
    sessions.add(recorded);
    Behaviour fixed = behaviour;
    return new MilterHandler() {
      @Override
      public CompletionStage<MilterReply> connect(MilterContext ctx, ConnectInfo connectInfo) {
        recorded.connect = connectInfo;
        recorded.macroJ = ctx.macro("j").orElse(null);
        recorded.events.add("CONNECT " + connectInfo.hostname());
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<MilterReply> helo(MilterContext ctx, String heloName) {
        recorded.events.add("HELO " + heloName);
        return done(fixed.atHelo());
      }

      @Override
      public CompletionStage<MilterReply> mail(MilterContext ctx, List<String> argv) {
        recorded.events.add("MAIL " + String.join(" ", argv));
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<MilterReply> rcpt(MilterContext ctx, List<String> argv) {
        recorded.events.add("RCPT " + String.join(" ", argv));
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<MilterReply> data(MilterContext ctx) {
        recorded.events.add("DATA");
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<MilterReply> header(MilterContext ctx, String name, String value) {
        recorded.events.add("HEADER " + name + ": " + value);
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<MilterReply> endOfHeaders(MilterContext ctx) {
        recorded.events.add("EOH");
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<MilterReply> body(MilterContext ctx, byte[] chunk) {
        recorded.events.add("BODY " + chunk.length);
        return done(MilterReply.CONTINUE);
      }

      @Override
      public CompletionStage<EndOfMessageReply> endOfMessage(MilterContext ctx) {
        recorded.events.add("EOM queue_id=" + ctx.macro("i").orElse("?"));
        return CompletableFuture.completedFuture(fixed.atEndOfMessage());
      }

      @Override
      public void abort(MilterContext ctx) {
        recorded.events.add("ABORT");
      }

      @Override
      public void closed(MilterContext ctx) {
        recorded.events.add("CLOSED");
      }
    };
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
