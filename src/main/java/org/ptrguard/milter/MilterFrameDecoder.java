package org.ptrguard.milter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Milter framing: a 4-byte big-endian length that counts the command byte, then the command and
 * payload. The length is checked before Netty sees it, so a zero or oversized length closes the
 * connection with one log line instead of an exception, and nothing more is buffered after it.
 */
final class MilterFrameDecoder extends LengthFieldBasedFrameDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(MilterFrameDecoder.class);

  private final int maxFrameBytes;
  private boolean rejected;

  MilterFrameDecoder(int maxFrameBytes) {
    // The frame handed on is command byte + payload (the length field is stripped).
    super(maxFrameBytes + 4, 0, 4, 0, 4, true);
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    if (rejected) {
      in.skipBytes(in.readableBytes());
      return null;
    }
    if (in.readableBytes() >= 4) {
      long length = in.getUnsignedInt(in.readerIndex());
      if (length == 0 || length > maxFrameBytes) {
        rejected = true;
        LOG.warn("event=milter-frame-rejected reason={} length={} max={} remote={}",
            length == 0 ? "zero-length" : "too-long", length, maxFrameBytes,
            LogValues.of(ctx.channel().remoteAddress()));
        in.skipBytes(in.readableBytes());
        ctx.channel().config().setAutoRead(false);
        ctx.close();
        return null;
      }
    }
    return super.decode(ctx, in);
  }
}
