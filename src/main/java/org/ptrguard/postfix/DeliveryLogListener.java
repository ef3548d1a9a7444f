package org.ptrguard.postfix;

/**
 * Receives each smtp/lmtp client line a follower reads from Postfix's log, on the follower's own
 * thread (never a Netty event loop). Implementations must be quick or hand the work on; an
 * exception thrown here is logged and the follower carries on with the next line.
 */
@FunctionalInterface
public interface DeliveryLogListener {
  void onLine(DeliveryLogLine line);
}
