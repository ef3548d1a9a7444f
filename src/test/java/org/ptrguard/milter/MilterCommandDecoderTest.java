package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The limits of list-shaped frames are enforced while scanning, before anything is built: measured
 * by the bytes this thread allocates while decoding a 1 MiB frame of a quarter of a million tiny
 * strings (building them cost about 40 MB per frame), compared with the frame's own size.
 */
class MilterCommandDecoderTest {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final int FRAME = 1 << 20;

  private final MilterCommandDecoder decoder = new MilterCommandDecoder(64, FRAME);

  /** Command byte, optional prefix, then "a\0" repeated up to the 1 MiB frame size. */
  private static ByteBuf tinyStrings(String prefix) {
    ByteBuf b = Unpooled.buffer(FRAME);
    b.writeBytes(prefix.getBytes(StandardCharsets.ISO_8859_1));
    while (b.writableBytes() >= 2) {
      b.writeByte('a').writeByte(0);
    }
    return b;
  }

  private long allocatedWhileDecoding(ByteBuf frame, MilterCommand[] result) {
    decoder.decodeFrame(frame.duplicate()); // warm-up: class loading and JIT are not the decoder's doing
    long before = THREADS.getCurrentThreadAllocatedBytes();
    result[0] = decoder.decodeFrame(frame);
    return THREADS.getCurrentThreadAllocatedBytes() - before;
  }

  @Test
  void macroFrameOverThePairLimitIsRefusedWithoutBuildingItsStrings() {
    MilterCommand[] result = new MilterCommand[1];
    long allocated = allocatedWhileDecoding(tinyStrings("DC"), result);
    System.out.println("decoder: 1 MiB MACRO frame of 262,143 pairs refused after allocating " + allocated + " bytes");
    assertThat(result[0]).isInstanceOfSatisfying(MilterCommand.Malformed.class,
        m -> assertThat(m.reason()).isEqualTo("MACRO: more than 64 macros for stage CONNECT, limit 64"));
    assertThat(allocated).as("bytes allocated, against a 1 MiB frame").isLessThan(FRAME / 16);
  }

  @Test
  void macroFrameOverTheByteLimitIsRefusedBeforeScanning() {
    MilterCommand command = new MilterCommandDecoder(64, 1024).decodeFrame(
        Unpooled.wrappedBuffer(("DC{x}\0" + "v".repeat(1100) + "\0").getBytes(StandardCharsets.US_ASCII)));
    assertThat(command).isInstanceOfSatisfying(MilterCommand.Malformed.class,
        m -> assertThat(m.reason()).isEqualTo("MACRO: 1105 bytes of macros for stage CONNECT, limit 1024"));
  }

  @Test
  void macroFrameAtThePairLimitDecodes() {
    StringBuilder s = new StringBuilder("DM");
    for (int i = 0; i < 64; i++) {
      s.append("{m").append(i).append("}\0v\0");
    }
    MilterCommand command = decoder.decodeFrame(Unpooled.wrappedBuffer(s.toString().getBytes(StandardCharsets.US_ASCII)));
    assertThat(command).isInstanceOfSatisfying(MilterCommand.Macro.class, m -> {
      assertThat(m.pairs()).isEqualTo(64);
      assertThat(m.macros()).hasSize(64).containsEntry("{m63}", "v");
    });
  }

  @Test
  void mailAndRcptWithTooManyArgumentsAreRefusedWithoutBuildingThem() {
    for (String code : new String[] {"M", "R"}) {
      MilterCommand[] result = new MilterCommand[1];
      long allocated = allocatedWhileDecoding(tinyStrings(code), result);
      assertThat(result[0]).isInstanceOfSatisfying(MilterCommand.Malformed.class,
          m -> assertThat(m.reason()).endsWith("over the limit of 1024 arguments"));
      assertThat(allocated).as("bytes allocated, against a 1 MiB frame").isLessThan(FRAME / 16);
    }
    StringBuilder ok = new StringBuilder("M<a@example.org>\0");
    for (int i = 1; i < MilterCommandDecoder.MAX_ARGUMENTS; i++) {
      ok.append("X\0");
    }
    MilterCommand mail = decoder.decodeFrame(Unpooled.wrappedBuffer(ok.toString().getBytes(StandardCharsets.US_ASCII)));
    assertThat(mail).isInstanceOfSatisfying(MilterCommand.Mail.class,
        m -> assertThat(m.argv()).hasSize(MilterCommandDecoder.MAX_ARGUMENTS));
  }
}
