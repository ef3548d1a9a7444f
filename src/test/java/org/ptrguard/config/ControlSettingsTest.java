package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Where the control socket goes: derived from the milter listeners, written, or off. */
class ControlSettingsTest {
  @Test
  void autoIsInRunPtrguardForTcpListeners() throws Exception {
    Settings.ControlSettings c = ConfigLoader.parse("").control();
    assertThat(c.socket()).contains(Path.of("/run/ptrguard/control.sock"));
    assertThat(c.auto()).isTrue();
  }

  @Test
  void autoFollowsTheFirstUnixMilterListener() throws Exception {
    Settings.ControlSettings c = ConfigLoader.parse(
        "listen = [\"inet:127.0.0.1:8894\", \"unix:/var/spool/postfix/ptrguard/milter.sock\"]").control();
    assertThat(c.socket()).contains(Path.of("/var/spool/postfix/ptrguard/control.sock"));
  }

  @Test
  void anExplicitPathIsKeptAndEmptyIsOff() throws Exception {
    Settings.ControlSettings c = ConfigLoader.parse("control.socket = \"/srv/ptrguard/ctl.sock\"").control();
    assertThat(c.socket()).contains(Path.of("/srv/ptrguard/ctl.sock"));
    assertThat(c.auto()).isFalse();
    assertThat(ConfigLoader.parse("control.socket = \"\"").control().socket()).isEmpty();
  }

  @Test
  void relativeOrOverlongPathsAreErrorsNamingTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("control.socket = \"run/control.sock\""))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
            .anySatisfy(p -> assertThat(p).contains("control.socket", "absolute path")));
    assertThatThrownBy(() -> ConfigLoader.parse("control.socket = \"/" + "x".repeat(200) + "\""))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
            .anySatisfy(p -> assertThat(p).contains("control.socket", "107 bytes")));
  }

  @Test
  void authoritativeLookupsAreOnByDefaultOnPort53() throws Exception {
    Settings.DnsSettings dns = ConfigLoader.parse("").dns();
    assertThat(dns.authoritative()).isTrue();
    assertThat(dns.authoritativePort()).isEqualTo(53);
    assertThat(ConfigLoader.parse("dns.authoritative = no\ndns.authoritative-port = 5353").dns())
        .extracting(Settings.DnsSettings::authoritative, Settings.DnsSettings::authoritativePort)
        .containsExactly(false, 5353);
  }
}
