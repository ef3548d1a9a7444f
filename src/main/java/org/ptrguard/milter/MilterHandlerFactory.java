package org.ptrguard.milter;

/** Creates one handler per milter session and declares what the handlers need from negotiation. */
public interface MilterHandlerFactory {
  ProtocolNeeds needs();

  MilterHandler newSession(SessionInfo info);
}
