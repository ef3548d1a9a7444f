package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.ptrguard.config.Settings.RouteMode;
import org.ptrguard.config.Settings.RouteSettings;

/** routes.enabled: yes, no or auto (the default), and whether the file's identities say more than discovery. */
class RouteModeSettingTest {
  private static RouteSettings routes(String hocon) throws ConfigException {
    return ConfigLoader.parse(hocon).routes();
  }

  @Test
  void autoIsTheDefaultAndAFileWithoutIdentitiesWritesNone() throws Exception {
    RouteSettings r = routes("mode = audit");
    assertThat(r.enabled()).isEqualTo(RouteMode.AUTO);
    assertThat(r.identitiesWritten()).isFalse();
  }

  @Test
  void onlyTheDiscoveringIdentityCountsAsNoneWritten() throws Exception {
    // The packaged ptrguard.conf writes exactly this: discovery, for all traffic.
    assertThat(routes("identities = [ { name = default, ip = [\"auto\"], ehlo = auto } ]").identitiesWritten()).isFalse();
    assertThat(routes("identities = [ { name = default, ip = [\"203.0.113.25\"], ehlo = auto } ]").identitiesWritten())
        .isTrue();
    assertThat(routes("identities = [ { name = default, ip = [\"auto\"], ehlo = mail.example.com } ]")
        .identitiesWritten()).isTrue();
    assertThat(routes("identities = [ { name = default, ip = [\"auto\"], ehlo = auto, generic-ptr = off } ]")
        .identitiesWritten()).isTrue();
    assertThat(routes("""
        identities = [ { name = default, ip = ["auto"], ehlo = auto },
                       { name = news, ip = ["auto"], ehlo = auto, senders = ["news.example.org"] } ]
        """).identitiesWritten()).isTrue();
  }

  @Test
  void yesNoAndTheirHoconSpellings() throws Exception {
    for (String yes : new String[] {"yes", "true", "on", "YES"}) {
      assertThat(routes("routes.enabled = " + yes).enabled()).as(yes).isEqualTo(RouteMode.YES);
    }
    for (String no : new String[] {"no", "false", "off"}) {
      assertThat(routes("routes.enabled = " + no).enabled()).as(no).isEqualTo(RouteMode.NO);
    }
    assertThat(routes("routes.enabled = auto").enabled()).isEqualTo(RouteMode.AUTO);
  }

  @Test
  void anythingElseIsAClearProblem() {
    assertThatThrownBy(() -> routes("routes.enabled = sometimes")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.enabled").hasMessageContaining("'sometimes' must be yes, no or auto");
  }

  @Test
  void aReloadCannotChangeWhatAutoDecidedAtStart() throws Exception {
    RouteSettings none = routes("mode = audit");
    RouteSettings written = routes("identities = [ { name = default, ip = [\"203.0.113.25\"], ehlo = auto } ]");
    assertThat(none.sameModeAs(written)).isFalse();
    // With yes, identities are overrides that a reload applies: same mode.
    assertThat(routes("routes.enabled = yes").sameModeAs(
        routes("routes.enabled = yes\nidentities = [ { name = default, ip = [\"203.0.113.25\"], ehlo = auto } ]")))
        .isTrue();
  }
}
