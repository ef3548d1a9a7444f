package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.ptrguard.config.ConfigLoader;

/** The DNS options the daemon and check build from the configuration. */
class IdentityTargetsTest {
  @Test
  void theZonesServersAreAskedOnPort53UnlessTurnedOffOrMoved() throws Exception {
    assertThat(IdentityTargets.dnsOptions(ConfigLoader.parse("").dns()).authoritativePort()).hasValue(53);
    assertThat(IdentityTargets.dnsOptions(ConfigLoader.parse("dns.authoritative-port = 5353").dns())
        .authoritativePort()).hasValue(5353);
    assertThat(IdentityTargets.dnsOptions(ConfigLoader.parse("dns.authoritative = no").dns())
        .authoritativePort()).isEmpty();
  }
}
