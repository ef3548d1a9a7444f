package org.ptrguard.milter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Milter framing: a 4-byte big-endian length that counts the command byte, then the command and
 * payload. The length is checked before Netty sees it, so a zero or oversized length closes the
 * connection with one log line instead of an exception, and nothing more is buffered after it.
 * Bytes of incomplete frames are also counted against a budget shared by all connections.
 *
 * <p>A frame must also arrive whole within {@link MilterServerOptions#frameTimeout()} of its first
 * byte. The idle timeout alone does not bound it: every byte resets that, so a peer trickling a
 * large frame a byte a second held its connection slot indefinitely, and a few such peers locked
 * Postfix out at max-connections. Postfix writes each frame at once, so the limit never touches it.
 */
final class MilterFrameDecoder extends LengthFieldBasedFrameDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(MilterFrameDecoder.class);

  private final int maxFrameBytes;
  private final FrameMemoryBudget budget;
  private final LogRateLimit logLimit;
  private final long frameTimeoutNanos;
  private boolean rejected;
  /** When the first byte of the incomplete frame in the buffer was seen; 0 while there is none. */
  private long frameStarted;
  /** When decoding last stopped on an incomplete frame, i.e. when its latest bytes arrived. */
  private long lastByte;
  private ScheduledFuture<?> frameTimer;
  /** What this connection has added to the budget: the bytes of its incomplete frame. */
  private long charged;

  MilterFrameDecoder(int maxFrameBytes, Duration frameTimeout, FrameMemoryBudget budget, LogRateLimit logLimit) {
    // The frame handed on is command byte + payload (the length field is stripped).
    super(maxFrameBytes + 4, 0, 4, 0, 4, true);
    this.maxFrameBytes = maxFrameBytes;
    this.frameTimeoutNanos = frameTimeout.toNanos();
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
      frameStarted = 0; // likewise timed from when decoding stops on it
      return frame;
    }
    int buffered = in.readableBytes();
    if (buffered > 0) {
      lastByte = System.nanoTime();
      if (frameStarted == 0) {
        frameStarted = lastByte;
      }
      armFrameTimer(ctx);
    }
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
    cancelFrameTimer();
    ctx.channel().config().setAutoRead(false);
    AbortiveClose.close(ctx);
  }

  private void armFrameTimer(ChannelHandlerContext ctx) {
    if (frameTimer == null) {
      long delay = Math.max(0, frameStarted + frameTimeoutNanos - System.nanoTime());
      frameTimer = ctx.executor().schedule(() -> frameTimerFired(ctx), delay, TimeUnit.NANOSECONDS);
    }
  }

  private void frameTimerFired(ChannelHandlerContext ctx) {
    frameTimer = null;
    if (rejected || frameStarted == 0 || !ctx.channel().isActive()) {
      return;
    }
    long now = System.nanoTime();
    if (!ctx.channel().config().isAutoRead()) {
      // We stopped reading (a handler call is pending, or replies wait for the peer to read them):
      // the rest of the frame cannot arrive meanwhile, so its clock starts again. A peer that does not
      // read its replies is closed by the idle timeout instead.
      frameStarted = now;
    }
    if (lastByte == frameStarted && now - frameStarted >= frameTimeoutNanos) {
      // Nothing arrived since the frame began: a silent peer, which the idle timeout closes (and
      // names so). The next byte re-arms this timer, which then fires at once.
      return;
    }
    if (frameStarted + frameTimeoutNanos > now) {
      armFrameTimer(ctx); // a newer frame started after the one this timer was set for
      return;
    }
    ByteBuf buffered = internalBuffer();
    long length = buffered.readableBytes() >= 4 ? buffered.getUnsignedInt(buffered.readerIndex()) : -1;
    logLimit.warn(LOG, "frame-timeout", "event=milter-frame-timeout limit={} buffered={} length={} remote={}",
        Duration.ofNanos(frameTimeoutNanos), buffered.readableBytes(), length, LogValues.of(ctx.channel().remoteAddress()));
    reject(ctx, buffered);
  }

  private void cancelFrameTimer() {
    if (frameTimer != null) {
      frameTimer.cancel(false);
      frameTimer = null;
    }
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
    cancelFrameTimer();
    super.handlerRemoved0(ctx);
  }
}
