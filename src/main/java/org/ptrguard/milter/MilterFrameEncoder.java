package org.ptrguard.milter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Writes {@code uint32 length (code + payload)}, the code byte and the payload. */
@Sharable
final class MilterFrameEncoder extends MessageToByteEncoder<OutboundFrame> {
  static final MilterFrameEncoder INSTANCE = new MilterFrameEncoder();

  @Override
  protected void encode(ChannelHandlerContext ctx, OutboundFrame frame, ByteBuf out) {
    out.writeInt(frame.payload().length + 1);
    out.writeByte(frame.code());
    out.writeBytes(frame.payload());
  }
}
