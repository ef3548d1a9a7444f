package org.ptrguard.identity;

import java.util.List;

/**
 * Who controls the PTR record: the zone holding the reverse name, its SOA primary and name
 * servers. Usually the IP's provider, which is why "fix your PTR" is a request to them.
 */
public record ReverseZoneAuthority(String zone, String soaPrimary, String soaContact, List<String> nameServers) {
  public ReverseZoneAuthority {
    nameServers = List.copyOf(nameServers);
  }

  /** "2.0.192.in-addr.arpa. (SOA ns1.isp.example.net., name servers ns1..., ns2...)" */
  public String describe() {
    StringBuilder s = new StringBuilder(zone);
    if (!soaPrimary.isEmpty()) {
      s.append(" (primary ").append(soaPrimary);
      if (!soaContact.isEmpty()) {
        s.append(", contact ").append(soaContact);
      }
      s.append(')');
    }
    if (!nameServers.isEmpty()) {
      s.append(", name servers ").append(String.join(" ", nameServers));
    }
    return s.toString();
  }
}
