package org.ptrguard.dns;

/**
 * A "what is my address" question ({@code egress.*}): a server that answers with the source address
 * it sees, as Google's {@code o-o.myaddr.l.google.com TXT} at ns1.google.com and OpenDNS's
 * {@code myip.opendns.com A} at resolver1.opendns.com do.
 *
 * @param server the server's host name (resolved through the configured resolvers) or address literal
 * @param port its port (53 in real life)
 * @param name the name to ask for
 * @param kind whether the address comes back as TXT text or as an A/AAAA record
 */
public record EgressQuery(String server, int port, String name, Kind kind) {
  /** How the server spells the address it saw. */
  public enum Kind {
    /** TXT "203.0.113.7" (Google). */
    TXT,
    /** A for IPv4 sources, AAAA for IPv6 ones (OpenDNS). */
    ADDRESS
  }

  /** Google's: o-o.myaddr.l.google.com TXT at ns1.google.com. */
  public static final EgressQuery GOOGLE = new EgressQuery("ns1.google.com", 53, "o-o.myaddr.l.google.com", Kind.TXT);

  /** "o-o.myaddr.l.google.com TXT at ns1.google.com:53", for evidence lines. */
  public String describe() {
    return name + " " + (kind == Kind.TXT ? "TXT" : "A/AAAA") + " at " + server + ":" + port;
  }
}
