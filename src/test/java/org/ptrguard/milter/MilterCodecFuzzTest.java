package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.lang.reflect.Method;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The frame decoder and the command decoder on a real Netty pipeline (EmbeddedChannel), fed any
 * byte stream in chunks of any size. An independent model of the framing (u32 length counting the
 * command byte, 1..max) says which frames must come out and whether the connection must be
 * closed; the decoded commands must match their command byte and be internally consistent.
 *
 * <p>Input layout: the milter byte stream, then one byte for the chunk size and, last, one byte
 * for the frame limit ({@code 64 + 16 * b}), so a captured Postfix stream plus two bytes is a seed.
 * The same two bytes set the macro limits the command decoder enforces while it scans a frame:
 * {@code 1 + (chunk byte & 63)} pairs per stage and {@code 32 + 8 * b} bytes; a MACRO frame must
 * decode exactly when an independent count of its strings is within them, likewise MAIL and RCPT
 * with at most {@link MilterCommandDecoder#MAX_ARGUMENTS} arguments.
 */
class MilterCodecFuzzTest {
  private static final Method INTERNAL_BUFFER = internalBufferAccessor();

  /** Tests frame by frame what reached the command decoder. */
  private static final class FrameProbe extends ChannelInboundHandlerAdapter {
    final List<byte[]> frames = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      byte[] copy = new byte[frame.readableBytes()];
      frame.getBytes(frame.readerIndex(), copy);
      frames.add(copy);
      ctx.fireChannelRead(msg);
    }
  }

  private static final class Commands extends ChannelInboundHandlerAdapter {
    final List<MilterCommand> decoded = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      decoded.add((MilterCommand) msg);
    }
  }

  /** What the byte stream must decode to, computed without Netty. */
  record Expected(List<byte[]> frames, boolean mustClose) {
    static Expected of(byte[] stream, int maxFrameBytes) {
      ByteBuffer in = ByteBuffer.wrap(stream);
      List<byte[]> frames = new ArrayList<>();
      while (in.remaining() >= 4) {
        long length = in.getInt() & 0xffffffffL;
        if (length == 0 || length > maxFrameBytes) {
          return new Expected(frames, true);
        }
        if (in.remaining() < length) {
          break;
        }
        byte[] frame = new byte[(int) length];
        in.get(frame);
        frames.add(frame);
      }
      return new Expected(frames, false);
    }
  }

  @FuzzTest(maxDuration = "10s")
  void decodesFramesAndCommands(byte[] input) throws Exception {
    if (input.length < 2) {
      return;
    }
    int maxFrameBytes = 64 + 16 * (input[input.length - 1] & 0xff);
    int chunk = 1 + (input[input.length - 2] & 0xff);
    Limits limits = new Limits(1 + (input[input.length - 2] & 0x3f), 32 + 8 * (input[input.length - 1] & 0xff));
    byte[] stream = Arrays.copyOf(input, input.length - 2);

    FrameProbe probe = new FrameProbe();
    Commands commands = new Commands();
    MilterFrameDecoder frameDecoder = new MilterFrameDecoder(maxFrameBytes, MilterServerOptions.MAX_FRAME_TIME, FrameMemoryBudget.forThisJvm(), new LogRateLimit());
    EmbeddedChannel ch = new EmbeddedChannel(frameDecoder, probe,
        new MilterCommandDecoder(limits.pairs(), limits.bytes()), commands);
    for (int off = 0; off < stream.length && ch.isOpen(); off += chunk) {
      ch.writeInbound(Unpooled.wrappedBuffer(stream, off, Math.min(chunk, stream.length - off)));
      ch.checkException();
      if (ch.isOpen()) {
        // The per-connection buffer never holds more than one partial frame.
        ByteBuf cumulation = (ByteBuf) INTERNAL_BUFFER.invoke(frameDecoder);
        assertThat(cumulation.readableBytes()).isLessThan(maxFrameBytes + 4);
      }
    }

    Expected expected = Expected.of(stream, maxFrameBytes);
    assertThat(ch.isOpen()).as("closed exactly on a zero or oversized length").isEqualTo(!expected.mustClose());
    assertThat(probe.frames).hasSameSizeAs(expected.frames());
    for (int i = 0; i < probe.frames.size(); i++) {
      assertThat(probe.frames.get(i)).isEqualTo(expected.frames().get(i));
    }
    assertThat(commands.decoded).hasSameSizeAs(probe.frames);
    for (int i = 0; i < commands.decoded.size(); i++) {
      checkCommand(probe.frames.get(i), commands.decoded.get(i), limits);
    }
    ch.finishAndReleaseAll();
  }

  /** The macro limits of the command decoder under test. */
  record Limits(int pairs, int bytes) {}

  /** The command type follows the command byte, and what was decoded is consistent with the frame. */
  static void checkCommand(byte[] frame, MilterCommand command, Limits limits) {
    char code = (char) (frame[0] & 0xff);
    int payload = frame.length - 1;
    checkListLimits(frame, command, limits);
    if (command instanceof MilterCommand.Malformed m) {
      assertThat(m.reason()).isNotBlank();
      return;
    }
    switch (code) {
      case 'O' -> assertThat(command).isInstanceOf(MilterCommand.OptionNegotiation.class)
          .satisfies(c -> assertThat(payload).isGreaterThanOrEqualTo(12));
      case 'D' -> {
        MilterCommand.Macro m = (MilterCommand.Macro) command;
        assertThat(m.bytes()).isEqualTo(payload - 1);
        assertThat(m.macros().size()).isLessThanOrEqualTo(m.pairs());
        assertThat(m.macros().keySet()).allSatisfy(k -> assertThat(k).startsWith("{").endsWith("}"));
      }
      case 'C' -> {
        ConnectInfo info = ((MilterCommand.Connect) command).info();
        assertNoNul(info.hostname());
        assertThat(info.port()).isBetween(0, 65535);
        if (info.family() == ConnectInfo.Family.INET) {
          info.address().ifPresent(a -> assertThat(a).isInstanceOf(Inet4Address.class));
        }
        if (info.family() != ConnectInfo.Family.INET && info.family() != ConnectInfo.Family.INET6) {
          assertThat(info.address()).isEmpty();
        }
      }
      case 'H' -> assertNoNul(((MilterCommand.Helo) command).name());
      case 'M' -> assertThat(((MilterCommand.Mail) command).argv()).isNotEmpty().allSatisfy(MilterCodecFuzzTest::assertNoNul);
      case 'R' -> assertThat(((MilterCommand.Rcpt) command).argv()).isNotEmpty().allSatisfy(MilterCodecFuzzTest::assertNoNul);
      case 'L' -> {
        MilterCommand.Header h = (MilterCommand.Header) command;
        assertNoNul(h.name());
        assertNoNul(h.value());
      }
      case 'B' -> assertThat(((MilterCommand.Body) command).chunk()).hasSize(payload);
      case 'E' -> assertThat(((MilterCommand.EndOfMessage) command).lastChunk()).hasSize(payload);
      case 'U' -> assertNoNul(((MilterCommand.Unknown) command).command());
      case 'T' -> assertThat(command).isInstanceOf(MilterCommand.Data.class);
      case 'N' -> assertThat(command).isInstanceOf(MilterCommand.EndOfHeaders.class);
      case 'A' -> assertThat(command).isInstanceOf(MilterCommand.Abort.class);
      case 'Q' -> assertThat(command).isInstanceOf(MilterCommand.Quit.class);
      case 'K' -> assertThat(command).isInstanceOf(MilterCommand.QuitNewConnection.class);
      default -> throw new AssertionError("command byte 0x" + Integer.toHexString(code) + " decoded as " + command);
    }
  }

  /**
   * MACRO, MAIL and RCPT frames against a model that counts their NUL-terminated strings: within
   * the limits and well formed, they decode; over a limit, they are Malformed naming the limit.
   */
  private static void checkListLimits(byte[] frame, MilterCommand command, Limits limits) {
    char code = (char) (frame[0] & 0xff);
    if (code != 'D' && code != 'M' && code != 'R') {
      return;
    }
    int from = code == 'D' ? 2 : 1;
    if (frame.length < from) {
      assertThat(command).isInstanceOf(MilterCommand.Malformed.class);
      return;
    }
    int strings = 0;
    boolean terminated = true;
    for (int i = from; i < frame.length; i++) {
      if (frame[i] == 0) {
        strings++;
      }
    }
    if (frame.length > from && frame[frame.length - 1] != 0) {
      strings++;
      terminated = false;
    }
    boolean overLimit;
    boolean wellFormed;
    if (code == 'D') {
      overLimit = frame.length - from > limits.bytes() || strings > 2 * limits.pairs();
      wellFormed = terminated && strings % 2 == 0;
    } else {
      overLimit = strings > MilterCommandDecoder.MAX_ARGUMENTS;
      wellFormed = terminated && strings > 0;
    }
    if (overLimit) {
      assertThat(command).isInstanceOfSatisfying(MilterCommand.Malformed.class,
          m -> assertThat(m.reason()).contains("limit"));
    } else if (wellFormed) {
      assertThat(command).isNotInstanceOf(MilterCommand.Malformed.class);
      if (command instanceof MilterCommand.Macro m) {
        assertThat(m.pairs()).isEqualTo(strings / 2);
      }
    } else {
      assertThat(command).isInstanceOf(MilterCommand.Malformed.class);
    }
  }

  private static void assertNoNul(String s) {
    assertThat(s).doesNotContain("\0");
  }

  /** The decoder's cumulation buffer is protected in Netty; reflection reads it without a subclass. */
  private static Method internalBufferAccessor() {
    try {
      Method m = ByteToMessageDecoder.class.getDeclaredMethod("internalBuffer");
      m.setAccessible(true);
      return m;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }
}
