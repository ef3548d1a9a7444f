package org.ptrguard.milter;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.ptrguard.testing.Frames;

/**
 * The milter codec on Postfix's bytes: framing and command decoding of a whole message transaction
 * (MAIL, RCPT x3, DATA, 20 headers, EOH, 10 KiB body in 4 KiB chunks, EOB), and a HELO-decided
 * session through the real per-connection pipeline (decoder, session state machine, encoder).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MilterCodecBenchmark {
  private byte[] message;
  private byte[] heloSession;
  private final MilterHandlerFactory acceptAtHelo = new MilterHandlerFactory() {
    private final ProtocolNeeds needs = ProtocolNeeds.builder()
        .events(MilterEvent.CONNECT, MilterEvent.HELO, MilterEvent.MAIL)
        .actions(MilterAction.ADD_HEADERS, MilterAction.QUARANTINE).build();

    @Override
    public ProtocolNeeds needs() {
      return needs;
    }

    @Override
    public MilterHandler newSession(SessionInfo info) {
      return new MilterHandler() {
        @Override
        public CompletionStage<MilterReply> helo(MilterContext ctx, String heloName) {
          return CompletableFuture.completedFuture(MilterReply.ACCEPT);
        }
      };
    }
  };

  @Setup
  public void frames() {
    byte[] body = new byte[4096];
    java.util.Arrays.fill(body, (byte) 'x');
    byte[][] headers = new byte[20][];
    for (int i = 0; i < 20; i++) {
      headers[i] = Frames.frame('L', "X-Header-" + i, "value number " + i + " of the benchmark message");
    }
    message = Frames.concat(
        Frames.macro('M', "i", "4ABCD12345", "{auth_authen}", "alice"),
        Frames.frame('M', "<sender@example.com>", "SIZE=10240"),
        Frames.frame('R', "<rcpt0@dest.example.test>"), Frames.frame('R', "<rcpt1@dest.example.test>"),
        Frames.frame('R', "<rcpt2@dest.example.test>"), Frames.frame('T', new byte[0]),
        Frames.concat(headers), Frames.frame('N', new byte[0]),
        Frames.frame('B', body), Frames.frame('B', body), Frames.frame('B', java.util.Arrays.copyOf(body, 2048)),
        Frames.frame('E', new byte[0]));
    heloSession = Frames.concat(
        Frames.hex("0000000d 4f 00000006 000001ff 001fffff"),
        Frames.macro('C', "j", "mta.example.com", "{daemon_name}", "smtpd", "{client_addr}", "127.0.0.1"),
        Frames.connect("client.example.test", '4', 40000, "127.0.0.1"),
        Frames.frame('H', "client.example.test"));
  }

  /** Framing and decoding only: the MilterCommand objects of one message transaction. */
  @Benchmark
  public void decodeMessageTransaction(Blackhole bh) {
    EmbeddedChannel ch = new EmbeddedChannel(new MilterFrameDecoder(MilterServerOptions.DEFAULT_MAX_FRAME_BYTES, MilterServerOptions.MAX_FRAME_TIME, FrameMemoryBudget.forThisJvm(), new LogRateLimit()),
        MilterCommandDecoder.INSTANCE);
    ch.writeInbound(Unpooled.wrappedBuffer(message));
    for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
      bh.consume(o);
    }
    ch.finishAndReleaseAll();
  }

  /** OPTNEG, macros, CONNECT, HELO through the whole pipeline, replies encoded. */
  @Benchmark
  public void heloSessionThroughPipeline(Blackhole bh) {
    EmbeddedChannel ch = new EmbeddedChannel(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel c) {
        MilterServer.configure(c.pipeline(), MilterServerOptions.defaults(), acceptAtHelo, acceptAtHelo.needs(),
            new SessionInfo(1, c.remoteAddress(), c.localAddress()), new MilterStats());
      }
    });
    ch.writeInbound(Unpooled.wrappedBuffer(heloSession));
    ch.runPendingTasks();
    for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
      bh.consume(((ByteBuf) o).readableBytes());
      ((ByteBuf) o).release();
    }
    ch.finishAndReleaseAll();
  }
}
