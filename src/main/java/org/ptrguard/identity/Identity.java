package org.ptrguard.identity;

import java.net.InetAddress;

/**
 * One outbound identity: the source address the MTA sends from and the EHLO name it announces.
 *
 * @param genericPtr what a provider-default PTR name does to the identity's verdict
 */
public record Identity(String name, InetAddress ip, String ehlo, GenericPtr genericPtr) {
  /** {@code generic-ptr}: no finding, a warning, or a failure for a provider-default PTR name. */
  public enum GenericPtr { OFF, WARN, FAIL }

  /** @param genericIsFail a generic PTR name fails the identity (else it warns) */
  public Identity(String name, InetAddress ip, String ehlo, boolean genericIsFail) {
    this(name, ip, ehlo, genericIsFail ? GenericPtr.FAIL : GenericPtr.WARN);
  }
}
