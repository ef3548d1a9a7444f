package org.ptrguard.milter;

/** Creates one handler per milter session and declares what the handlers need from negotiation. */
public interface MilterHandlerFactory {
  /**
   * What the next connection's handler needs from negotiation. Asked once per connection, just
   * before its handler is created, so the answer may follow a reloaded configuration.
   */
  ProtocolNeeds needs();

  MilterHandler newSession(SessionInfo info);
}
