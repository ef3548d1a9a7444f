package org.ptrguard.identity;

/** Receiver profile data that does not parse; the message names the place in the data and the reason. */
public final class ReceiverProfilesException extends RuntimeException {
  public ReceiverProfilesException(String message) {
    super(message);
  }

  public ReceiverProfilesException(String message, Throwable cause) {
    super(message, cause);
  }
}
