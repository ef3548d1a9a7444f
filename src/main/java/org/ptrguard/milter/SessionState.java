package org.ptrguard.milter;

import java.util.Optional;

/**
 * Where one milter connection stands. One value instead of a set of flags and nullable fields that
 * could contradict each other: a connection is negotiated before it is in an SMTP session, and once
 * closing it processes nothing more.
 */
sealed interface SessionState {
  /** Connected; nothing but OPTNEG is acceptable yet. */
  record Opening() implements SessionState {}

  /** OPTNEG answered; no SMTP session yet, or none again after QUIT_NC. */
  record Negotiated(Negotiation negotiation) implements SessionState {}

  /**
   * CONNECT has arrived: one SMTP session is under way.
   *
   * @param mtaWillClose a reply at CONNECT or HELO was sent on which Postfix closes the milter socket
   */
  record InSession(Negotiation negotiation, ConnectInfo connect, boolean mtaWillClose) implements SessionState {}

  /**
   * No frame is processed any more: QUIT, a protocol error, a handler that could not be created, an
   * idle timeout, or the channel is gone.
   *
   * @param from the state closing began in: the handler's closed callback still reads its CONNECT information
   */
  record Closing(SessionState from) implements SessionState {}

  static SessionState opening() {
    return new Opening();
  }

  default boolean closing() {
    return this instanceof Closing;
  }

  /** This state closing; closing is final, so a closing state stays as it is. */
  default SessionState close() {
    return closing() ? this : new Closing(this);
  }

  /** The OPTNEG outcome, once negotiated. */
  default Optional<Negotiation> negotiated() {
    if (this instanceof Negotiated n) {
      return Optional.of(n.negotiation());
    }
    if (this instanceof InSession s) {
      return Optional.of(s.negotiation());
    }
    return this instanceof Closing c ? c.from().negotiated() : Optional.empty();
  }

  default Optional<ConnectInfo> connectInfo() {
    if (this instanceof InSession s) {
      return Optional.of(s.connect());
    }
    return this instanceof Closing c ? c.from().connectInfo() : Optional.empty();
  }

  /** Whether Postfix is expected to close the socket (so a reset connection is no news). */
  default boolean mtaWillClose() {
    if (this instanceof InSession s) {
      return s.mtaWillClose();
    }
    return this instanceof Closing c && c.from().mtaWillClose();
  }

  /** CONNECT: an SMTP session begins (a repeated CONNECT replaces the session's CONNECT information). */
  default SessionState connected(ConnectInfo connect) {
    Negotiation n = negotiated().orElseThrow(() -> new IllegalStateException("CONNECT before OPTNEG"));
    return new InSession(n, connect, mtaWillClose());
  }

  /** A reply was sent on which Postfix closes the milter socket. */
  default SessionState mtaClosing() {
    return this instanceof InSession s ? new InSession(s.negotiation(), s.connect(), true) : this;
  }
}
