package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class FixesTest {
  @Test
  void digTakesThePortAsAnOptionNotAfterAColon() {
    assertThat(Fixes.dig("127.0.0.1:5353")).isEqualTo("dig @127.0.0.1 -p 5353");
    assertThat(Fixes.dig("192.0.2.53:53")).isEqualTo("dig @192.0.2.53");
    assertThat(Fixes.dig("[2001:db8::53]:53")).isEqualTo("dig @2001:db8::53");
    assertThat(Fixes.dig("[::1]:5300")).isEqualTo("dig @::1 -p 5300");
    assertThat(Fixes.dig("resolver.example")).isEqualTo("dig @resolver.example");
  }

  @Test
  void temporaryFixNamesAWorkingDigCommandForTheAddress() throws Exception {
    assertThat(Fixes.temporary("127.0.0.1:5353,127.0.0.2:53", InetAddress.getByName("2001:db8:0:0::10")))
        .contains("dig @127.0.0.1 -p 5353 -x 2001:db8::10");
  }
}
