package org.ptrguard.milter;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;

/**
 * Closes a connection ptrguard gives up on (idle or never reading its replies, a frame too slow or
 * refused, a protocol error) with a reset instead of a FIN. Replies still queued are dropped, not
 * delivered: a graceful close would leave the kernel holding them, in an orphaned socket that lives
 * for minutes when the peer never reads (its zero window keeps the FIN behind them), and the peer
 * would learn of the close only when that socket finally gave up. A reset ends both at once.
 */
final class AbortiveClose {
  private AbortiveClose() {}

  static void close(ChannelHandlerContext ctx) {
    try {
      // SO_LINGER 0: close(2) sends RST and discards unsent data. Unix sockets have no linger; setOption says so.
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
    } catch (RuntimeException notSupported) {
      // a closed or exotic channel: the plain close below is all there is
    }
    ctx.close();
  }
}
