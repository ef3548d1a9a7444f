package org.ptrguard.milter;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * The SMTP client as the MTA described it in CONNECT. {@code address} is present only when
 * {@code rawAddress} is an IP literal of the announced family (never resolved through DNS).
 */
public record ConnectInfo(String hostname, Family family, int port, Optional<InetAddress> address, String rawAddress) {

  public ConnectInfo {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(rawAddress, "rawAddress");
  }

  /** SMFIA_* address families. */
  public enum Family {
    UNKNOWN('U'),
    UNIX('L'),
    INET('4'),
    INET6('6');

    private final char code;

    Family(char code) {
      this.code = code;
    }

    public char code() {
      return code;
    }

    public static Optional<Family> forCode(char code) {
      for (Family f : values()) {
        if (f.code == code) {
          return Optional.of(f);
        }
      }
      return Optional.empty();
    }
  }
}
