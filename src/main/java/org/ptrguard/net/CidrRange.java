package org.ptrguard.net;

import java.net.InetAddress;
import java.util.Arrays;

/** An address range such as 127.0.0.0/8, ::1/128 or a single address. */
public record CidrRange(InetAddress network, int prefixLength) {

  public CidrRange {
    int max = network.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > max) {
      throw new IllegalArgumentException("prefix length must be 0-" + max + ", got " + prefixLength);
    }
  }

  /** @throws IllegalArgumentException for anything but an IP literal with an optional /prefix */
  public static CidrRange parse(String text) {
    String s = text == null ? "" : text.trim();
    int slash = s.indexOf('/');
    String host = slash < 0 ? s : s.substring(0, slash);
    InetAddress address = IpLiterals.parse(host).orElseThrow(() -> new IllegalArgumentException(
        "'" + text + "' is not an address or CIDR range (e.g. 127.0.0.0/8, ::1/128)"));
    int max = address.getAddress().length * 8;
    int prefix = max;
    if (slash >= 0) {
      // Digits only: Integer.parseInt would also take "+8" or "-0".
      String digits = s.substring(slash + 1);
      if (!digits.matches("[0-9]{1,3}")) {
        throw new IllegalArgumentException("'" + text + "': prefix length must be a number 0-" + max);
      }
      prefix = Integer.parseInt(digits);
    }
    if (prefix < 0 || prefix > max) {
      throw new IllegalArgumentException("'" + text + "': prefix length must be 0-" + max);
    }
    return new CidrRange(address, prefix);
  }

  /** The same range with the bits after the prefix cleared (127.0.0.1/8 is 127.0.0.0/8). */
  public CidrRange canonical() {
    byte[] b = network.getAddress();
    for (int bit = prefixLength; bit < b.length * 8; bit++) {
      b[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    try {
      return new CidrRange(InetAddress.getByAddress(b), prefixLength);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  public boolean contains(InetAddress candidate) {
    InetAddress a = IpLiterals.unmapped(candidate);
    byte[] want = network.getAddress();
    byte[] got = a.getAddress();
    if (want.length != got.length) {
      return false;
    }
    int full = prefixLength / 8;
    if (!Arrays.equals(want, 0, full, got, 0, full)) {
      return false;
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (want[full] & mask) == (got[full] & mask);
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefixLength;
  }
}
