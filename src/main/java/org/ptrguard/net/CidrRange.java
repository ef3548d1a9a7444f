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
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "': prefix length must be a number 0-" + max);
      }
    }
    if (prefix < 0 || prefix > max) {
      throw new IllegalArgumentException("'" + text + "': prefix length must be 0-" + max);
    }
    return new CidrRange(address, prefix);
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
