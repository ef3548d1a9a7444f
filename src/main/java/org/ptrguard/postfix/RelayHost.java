package org.ptrguard.postfix;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One destination of an SMTP nexthop as smtp(8) reads it ("SMTP DESTINATION SYNTAX"):
 * {@code domain}, {@code domain:port} (MX lookup), {@code [host]}, {@code [host]:port},
 * {@code [address]}, {@code [ipv6:address]:port} (no MX lookup). Postfix 3.5 and later take a list
 * separated by comma or whitespace.
 *
 * @param text the destination as written
 * @param host the domain, host name or address literal (without brackets and "ipv6:")
 * @param port the TCP port (25 unless written)
 * @param bracketed true for {@code [...]}: the host's own addresses, no MX lookup
 * @param problem why the destination cannot be read, if so (then host/port are not meaningful)
 */
public record RelayHost(String text, String host, int port, boolean bracketed, Optional<String> problem) {
  /** Service names Postfix's SMTP client is commonly given instead of a port number. */
  private static final Map<String, Integer> SERVICES = Map.of("smtp", 25, "submission", 587, "submissions", 465,
      "smtps", 465, "lmtp", 24);

  /** Every destination of a nexthop (one for most; a list on Postfix 3.5+). */
  public static List<RelayHost> parse(String nexthop) {
    List<RelayHost> out = new ArrayList<>();
    for (String part : nexthop.strip().split("[,\\s]+")) {
      if (!part.isEmpty()) {
        out.add(parseOne(part));
      }
    }
    return out;
  }

  static RelayHost parseOne(String text) {
    String host;
    String rest;
    boolean bracketed = text.startsWith("[");
    if (bracketed) {
      int close = text.indexOf(']');
      if (close < 0) {
        return bad(text, "missing ']'");
      }
      host = text.substring(1, close);
      if (host.toLowerCase(Locale.ROOT).startsWith("ipv6:")) {
        host = host.substring(5);
      }
      rest = text.substring(close + 1);
    } else {
      int colon = text.indexOf(':');
      host = colon < 0 ? text : text.substring(0, colon);
      rest = colon < 0 ? "" : text.substring(colon);
    }
    if (host.isEmpty()) {
      return bad(text, "no host name");
    }
    int port = 25;
    if (!rest.isEmpty()) {
      if (!rest.startsWith(":") || rest.length() == 1) {
        return bad(text, "expected ':port' after the host");
      }
      Optional<Integer> p = port(rest.substring(1));
      if (p.isEmpty()) {
        return bad(text, "port '" + rest.substring(1) + "' is neither a number from 1 to 65535 nor a known service name");
      }
      port = p.get();
    }
    return new RelayHost(text, host, port, bracketed, Optional.empty());
  }

  private static Optional<Integer> port(String s) {
    if (s.matches("\\d{1,5}")) {
      int p = Integer.parseInt(s);
      return p >= 1 && p <= 65535 ? Optional.of(p) : Optional.empty();
    }
    return Optional.ofNullable(SERVICES.get(s.toLowerCase(Locale.ROOT)));
  }

  private static RelayHost bad(String text, String why) {
    return new RelayHost(text, "", 0, false, Optional.of("nexthop '" + text + "' cannot be read: " + why));
  }

  /** True when Postfix looks up the host's MX records first (an unbracketed domain). */
  public boolean mxLookup() {
    return !bracketed;
  }
}
