package org.ptrguard.milter;

import java.util.Optional;

/** Read-only view of a milter session, valid on the session's event loop. */
public interface MilterContext {
  long connectionId();

  /**
   * The newest value of a macro across stages (newest stage first). {@code "j"} and {@code "{j}"}
   * name the same macro.
   */
  Optional<String> macro(String name);

  /** The CONNECT information of the current SMTP session, once CONNECT has arrived. */
  Optional<ConnectInfo> connectInfo();

  /**
   * What this connection asked the MTA for at negotiation (fixed for the connection's life): an
   * event missing from {@code needs().events()} never reaches the handler on this connection.
   */
  ProtocolNeeds needs();
}
