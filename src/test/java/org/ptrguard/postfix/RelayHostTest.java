package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** smtp(8)'s destination syntax, as RelayHost reads a nexthop. */
class RelayHostTest {
  @Test
  void bracketedHostsAndAddressesSkipTheMxLookup() {
    assertThat(RelayHost.parse("[smtp.example.net]:587"))
        .containsExactly(new RelayHost("[smtp.example.net]:587", "smtp.example.net", 587, true, Optional.empty()));
    assertThat(RelayHost.parse("[ipv6:2001:db8::1]:2525").get(0))
        .extracting(RelayHost::host, RelayHost::port, RelayHost::bracketed).containsExactly("2001:db8::1", 2525, true);
    assertThat(RelayHost.parse("[192.0.2.1]").get(0).port()).isEqualTo(25);
    assertThat(RelayHost.parse("[smtp.example.net]:submission").get(0).port()).isEqualTo(587);
  }

  @Test
  void domainsAreLookedUpByMxAndListsAreSplit() {
    List<RelayHost> list = RelayHost.parse("relay.example.net:2525, [b.example.net]  c.example.org");
    assertThat(list).extracting(RelayHost::host).containsExactly("relay.example.net", "b.example.net", "c.example.org");
    assertThat(list).extracting(RelayHost::mxLookup).containsExactly(true, false, true);
    assertThat(list).extracting(RelayHost::port).containsExactly(2525, 25, 25);
  }

  @Test
  void unreadableNexthopsSayWhy() {
    assertThat(RelayHost.parse("[smtp.example.net:587").get(0).problem()).contains(
        "nexthop '[smtp.example.net:587' cannot be read: missing ']'");
    assertThat(RelayHost.parse("[smtp.example.net]:99999").get(0).problem().orElseThrow())
        .contains("port '99999' is neither a number from 1 to 65535 nor a known service name");
    assertThat(RelayHost.parse("[smtp.example.net]587").get(0).problem().orElseThrow()).contains("expected ':port'");
    assertThat(RelayHost.parse("[]:25").get(0).problem().orElseThrow()).contains("no host name");
    assertThat(RelayHost.parse("  ")).isEmpty();
  }
}
