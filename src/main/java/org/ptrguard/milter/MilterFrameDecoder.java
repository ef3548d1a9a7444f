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
 * Bytes of incomplete frames are also counted against a budget shared by all connections.
 */
final class MilterFrameDecoder extends LengthFieldBasedFrameDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(MilterFrameDecoder.class);

  private final int maxFrameBytes;
  private final FrameMemoryBudget budget;
  private final LogRateLimit logLimit;
  private boolean rejected;
  /** What this connection has added to the budget: the bytes of its incomplete frame. */
  private long charged;

  MilterFrameDecoder(int maxFrameBytes, FrameMemoryBudget budget, LogRateLimit logLimit) {
    // The frame handed on is command byte + payload (the length field is stripped).
    super(maxFrameBytes + 4, 0, 4, 0, 4, true);
    this.maxFrameBytes = maxFrameBytes;
    this.budget = budget;
    this.logLimit = logLimit;
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
        String reason = length == 0 ? "zero-length" : "too-long";
        logLimit.warn(LOG, "frame-rejected " + reason, "event=milter-frame-rejected reason={} length={} max={} remote={}",
            reason, length, maxFrameBytes, LogValues.of(ctx.channel().remoteAddress()));
        reject(ctx, in);
        return null;
      }
    }
    Object frame = super.decode(ctx, in);
    if (frame != null) {
      charge(0); // what follows in the buffer is charged when decoding stops on it
      return frame;
    }
    int buffered = in.readableBytes();
    long total = charge(buffered);
    if (total > budget.limit() && buffered > FrameMemoryBudget.FLOOR) {
      logLimit.warn(LOG, "frame-rejected memory-budget",
          "event=milter-frame-rejected reason=memory-budget buffered={} all-connections={} budget={} remote={}",
          buffered, total, budget.limit(), LogValues.of(ctx.channel().remoteAddress()));
      reject(ctx, in);
    }
    return null;
  }

  private void reject(ChannelHandlerContext ctx, ByteBuf in) {
    rejected = true;
    in.skipBytes(in.readableBytes());
    charge(0);
    ctx.channel().config().setAutoRead(false);
    ctx.close();
  }

  private long charge(long bytes) {
    long total = budget.change(bytes - charged);
    charged = bytes;
    return total;
  }

  /** Closed or removed: give back what the incomplete frame held. */
  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    charge(0);
    super.handlerRemoved0(ctx);
  }
}
