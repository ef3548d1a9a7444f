package org.ptrguard.testing;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Byte-level frame building and parsing for codec tests. */
public final class Frames {
  private Frames() {}

  public static byte[] hex(String spaced) {
    return HexFormat.of().parseHex(spaced.replace(" ", ""));
  }

  public static byte[] frame(char code, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
    b.putInt(payload.length + 1).put((byte) code).put(payload);
    return b.array();
  }

  public static byte[] frame(char code, String... nulTerminated) {
    return frame(code, MilterTestClient.nulTerminated(nulTerminated));
  }

  /** A MACRO frame for {@code target} with alternating names and values. */
  public static byte[] macro(char target, String... namesAndValues) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(target);
    b.writeBytes(MilterTestClient.nulTerminated(namesAndValues));
    return frame('D', b.toByteArray());
  }

  public static byte[] connect(String host, char family, int port, String address) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(MilterTestClient.nulTerminated(host));
    b.write(family);
    if (family != 'U') {
      b.write(port >>> 8);
      b.write(port);
      b.writeBytes(MilterTestClient.nulTerminated(address));
    }
    return frame('C', b.toByteArray());
  }

  public static String toHex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  /** Splits everything the milter wrote into reply frames. */
  public static List<MilterTestClient.Reply> replies(ByteBuf all) {
    List<MilterTestClient.Reply> out = new ArrayList<>();
    while (all.readableBytes() >= 5) {
      int len = all.readInt();
      char code = (char) (all.readByte() & 0xff);
      byte[] payload = new byte[len - 1];
      all.readBytes(payload);
      out.add(new MilterTestClient.Reply(code, payload));
    }
    if (all.isReadable()) {
      throw new AssertionError("trailing " + all.readableBytes() + " bytes in milter output");
    }
    return out;
  }
}
