package org.ptrguard.identity;

import java.net.InetAddress;

/**
 * One outbound identity: the source address the MTA sends from and the EHLO name it announces.
 *
 * @param genericIsFail whether a provider-default PTR name fails the identity (else it warns)
 */
public record Identity(String name, InetAddress ip, String ehlo, boolean genericIsFail) {}
