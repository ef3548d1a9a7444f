package org.ptrguard.identity;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.ptrguard.net.IpLiterals;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Type;

/**
 * The identity under check with what every lookup and judge derives from it, worked out once.
 *
 * @param ip the source address, IPv4-mapped IPv6 unmapped (receivers see the IPv4 address)
 * @param addressType A or AAAA: the type a forward confirmation must find the address in
 * @param reverse the PTR owner name of {@code ip}
 * @param ehlo the EHLO name, normalized
 * @param resolver the main resolver view's label, as evidence and fixes name it
 */
record CheckSubject(Identity identity, InetAddress ip, int addressType, Name reverse, String ehlo, String resolver) {
  static CheckSubject of(Identity identity, String resolver) {
    InetAddress ip = IpLiterals.unmapped(identity.ip());
    return new CheckSubject(identity, ip, ip instanceof Inet6Address ? Type.AAAA : Type.A, ReverseMap.fromAddress(ip),
        HostNames.normalize(identity.ehlo()), resolver);
  }

  /** What to name the host in a fix: the EHLO name when it is usable, else a placeholder. */
  String suggestedName() {
    return HostNames.fqdnProblem(identity.ehlo()).isEmpty() ? ehlo : "mail.your-domain.example";
  }
}
