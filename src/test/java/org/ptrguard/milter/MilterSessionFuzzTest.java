package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.ptrguard.testing.Frames;
import org.ptrguard.testing.MilterTestClient.Reply;

/**
 * The session state machine on the real pipeline (EmbeddedChannel), fed any sequence of frames in
 * any order with any payload, pipelined or one by one, against a handler whose answers (every reply
 * kind, late completion, exceptions, null, modifications) the input chooses. {@link ReplyChecker}
 * then reads the bytes the milter wrote as an MTA would and checks that every reply is legal for
 * the command it answers, that no reply is missing or extra while the connection stays open, and
 * that a closed connection was closed by QUIT or with a protocol-error log line. An exception
 * reaching the session's error path (logged as milter-internal-error) is a finding too.
 *
 * <p>Input layout: byte 0 = length T of a behaviour tape, bytes 1..T = the tape, then the MTA's
 * byte stream. Tape byte 0 picks the wanted events (0 = defaults), tape byte 1 the no-reply events,
 * the remaining bytes are read one per decision (batching, then each handler answer); an exhausted
 * tape reads 0 (one frame per write, CONTINUE at once). A Postfix capture after a 0 byte is a seed.
 */
class MilterSessionFuzzTest {
  static final int MAX_FRAME_BYTES = 4096;
  static final int MAX_MACROS_PER_STAGE = 8;
  static final int MAX_MACRO_BYTES = 1024;

  /** Decisions read from the input; zeros once it runs out. */
  static final class Tape {
    private final byte[] bytes;
    private int next;

    Tape(byte[] bytes) {
      this.bytes = bytes;
    }

    int next() {
      return next < bytes.length ? bytes[next++] & 0xff : 0;
    }
  }

  @FuzzTest(maxDuration = "10s")
  void commandSequences(byte[] input) {
    if (input.length == 0) {
      return;
    }
    int tapeLength = Math.min(input[0] & 0xff, input.length - 1);
    Tape tape = new Tape(java.util.Arrays.copyOfRange(input, 1, 1 + tapeLength));
    List<byte[]> frames = splitFrames(input, 1 + tapeLength);
    ProtocolNeeds needs = needs(tape.next(), tape.next());

    PrintStream realErr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      run(frames, needs, tape, log);
    } finally {
      System.setErr(realErr);
    }
  }

  private static void run(List<byte[]> frames, ProtocolNeeds needs, Tape tape, ByteArrayOutputStream log) {
    TapeHandlerFactory factory = new TapeHandlerFactory(needs, tape);
    MilterServerOptions options = new MilterServerOptions(MilterServerOptions.defaults().listeners(),
        MilterServerOptions.defaults().allowFrom(), MAX_FRAME_BYTES, Duration.ofMinutes(5), 10, "0660",
        Optional.empty(), MAX_MACROS_PER_STAGE, MAX_MACRO_BYTES, Duration.ofSeconds(10));
    EmbeddedChannel ch = new EmbeddedChannel(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel c) {
        MilterServer.configure(c.pipeline(), options, factory, needs,
            new SessionInfo(1, c.remoteAddress(), c.localAddress()), new MilterStats());
      }
    });
    factory.channel = ch;

    List<byte[]> fed = new ArrayList<>();
    ByteBuf out = Unpooled.buffer();
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < frames.size() && ch.isOpen(); i++) {
      byte[] f = frames.get(i);
      batch.writeBytes(ByteBuffer.allocate(4).putInt(f.length).array());
      batch.writeBytes(f);
      fed.add(f);
      boolean pipelineWithNext = (tape.next() & 0x80) != 0 && i + 1 < frames.size();
      if (!pipelineWithNext) {
        ch.writeInbound(Unpooled.wrappedBuffer(batch.toByteArray()));
        batch.reset();
        ch.runPendingTasks();
        ch.checkException();
        drainOutbound(ch, out);
      }
    }
    boolean open = ch.isOpen();
    String logText = log.toString(StandardCharsets.UTF_8);
    assertThat(logText).as("an exception reached the session").doesNotContain("event=milter-internal-error");
    new ReplyChecker().check(fed, Frames.replies(out), open, logText);
    ch.finishAndReleaseAll();
    out.release();
  }

  private static void drainOutbound(EmbeddedChannel ch, ByteBuf out) {
    for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
      ByteBuf b = (ByteBuf) o;
      out.writeBytes(b);
      b.release();
    }
  }

  /** Frames (command byte + payload) as the MTA sends them; a length the limit refuses ends the stream. */
  static List<byte[]> splitFrames(byte[] input, int from) {
    ByteBuffer in = ByteBuffer.wrap(input, from, input.length - from);
    List<byte[]> frames = new ArrayList<>();
    while (in.remaining() >= 4) {
      long length = in.getInt() & 0xffffffffL;
      if (length == 0 || length > MAX_FRAME_BYTES || length > in.remaining()) {
        break;
      }
      byte[] f = new byte[(int) length];
      in.get(f);
      frames.add(f);
    }
    return frames;
  }

  static ProtocolNeeds needs(int eventBits, int noReplyBits) {
    if (eventBits == 0 && noReplyBits == 0) {
      return ProtocolNeeds.defaults();
    }
    MilterEvent[] all = MilterEvent.values();
    Set<MilterEvent> events = EnumSet.noneOf(MilterEvent.class);
    List<MilterEvent> noReply = new ArrayList<>();
    for (MilterEvent e : all) {
      int bit = 1 << (e.ordinal() % 8);
      if (eventBits == 0 || (eventBits & bit) != 0) {
        events.add(e);
      }
      if ((noReplyBits & bit) != 0) {
        noReply.add(e);
      }
    }
    return ProtocolNeeds.builder().events(events).noReply(noReply.toArray(MilterEvent[]::new))
        .actions(MilterAction.ADD_HEADERS, MilterAction.QUARANTINE).build();
  }

  /**
   * A handler that answers from the tape: low 3 bits pick CONTINUE, ACCEPT, REJECT, TEMPFAIL,
   * DISCARD, REPLYCODE, a thrown exception or a null stage; bit 3 completes the answer in a later
   * event-loop task (the session must queue frames meanwhile); at end of message bit 4 adds a
   * header and bit 5 a quarantine. It also reads the context, as the guard does.
   */
  static final class TapeHandlerFactory implements MilterHandlerFactory {
    private final ProtocolNeeds needs;
    private final Tape tape;
    EmbeddedChannel channel;

    TapeHandlerFactory(ProtocolNeeds needs, Tape tape) {
      this.needs = needs;
      this.tape = tape;
    }

    @Override
    public ProtocolNeeds needs() {
      return needs;
    }

    @Override
    public MilterHandler newSession(SessionInfo info) {
      return new MilterHandler() {
        @Override
        public CompletionStage<MilterReply> connect(MilterContext ctx, ConnectInfo c) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> helo(MilterContext ctx, String name) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> mail(MilterContext ctx, List<String> argv) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> rcpt(MilterContext ctx, List<String> argv) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> data(MilterContext ctx) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> header(MilterContext ctx, String name, String value) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> endOfHeaders(MilterContext ctx) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> body(MilterContext ctx, byte[] chunk) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<MilterReply> unknown(MilterContext ctx, String command) {
          return answer(ctx);
        }

        @Override
        public CompletionStage<EndOfMessageReply> endOfMessage(MilterContext ctx) {
          int b = tape.next();
          MilterReply finalReply = reply(b);
          if (finalReply == null) {
            return (b & 7) == 6 ? failWith() : null;
          }
          List<Modification> mods = new ArrayList<>();
          if ((b & 0x10) != 0) {
            mods.add(Modification.addHeader("X-Ptrguard", ctx.macro("i").orElse("no queue id")));
          }
          if ((b & 0x20) != 0) {
            mods.add(Modification.quarantine("held by fuzz handler"));
          }
          return later(b, new EndOfMessageReply(mods, finalReply));
        }

        @Override
        public void abort(MilterContext ctx) {
          if ((tape.next() & 7) == 6) {
            throw new IllegalStateException("handler failed in abort");
          }
        }
      };
    }

    private CompletionStage<MilterReply> answer(MilterContext ctx) {
      ctx.macro("j");
      ctx.connectInfo().ifPresent(ConnectInfo::address);
      int b = tape.next();
      MilterReply r = reply(b);
      if (r == null) {
        return (b & 7) == 6 ? failWith() : null;
      }
      return later(b, r);
    }

    private static MilterReply reply(int b) {
      return switch (b & 7) {
        case 0 -> MilterReply.CONTINUE;
        case 1 -> MilterReply.ACCEPT;
        case 2 -> MilterReply.REJECT;
        case 3 -> MilterReply.TEMPFAIL;
        case 4 -> MilterReply.DISCARD;
        case 5 -> MilterReply.replyCode("451-4.7.25 100% sure: no PTR\r\n451 4.7.25 try later");
        default -> null;
      };
    }

    private static <T> CompletionStage<T> failWith() {
      throw new IllegalStateException("handler failed");
    }

    private <T> CompletionStage<T> later(int b, T value) {
      if ((b & 8) == 0) {
        return CompletableFuture.completedFuture(value);
      }
      CompletableFuture<T> f = new CompletableFuture<>();
      channel.eventLoop().execute(() -> f.complete(value));
      return f;
    }
  }
}
