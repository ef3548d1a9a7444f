package org.ptrguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings.IdentitySettings;

class IdentitySelectorTest {
  private static IdentitySelector selector(String identities) throws Exception {
    return new IdentitySelector(ConfigLoader.parse("identities = " + identities).identities());
  }

  private static String pick(IdentitySelector s, String daemon, String sender) {
    return s.select(Optional.ofNullable(daemon), Optional.ofNullable(sender)).map(IdentitySettings::name).orElse("none");
  }

  @Test
  void catchAllUnlessASelectorMatches() throws Exception {
    IdentitySelector s = selector("""
        [ { name = default, ip = ["203.0.113.10"], ehlo = mail.example.com },
          { name = b, ip = ["203.0.113.11"], ehlo = mail-b.example.com, services = [submission-b] },
          { name = org, ip = ["203.0.113.12"], ehlo = mail.example.org, senders = [example.org] },
          { name = both, ip = ["203.0.113.13"], ehlo = news.example.org, senders = [example.org], services = [news] } ]""");
    assertThat(s.needsSender()).isTrue();
    assertThat(pick(s, "submission", "example.com")).isEqualTo("default");
    assertThat(pick(s, "submission-b", "example.com")).isEqualTo("b");
    assertThat(pick(s, "submission", "example.org")).isEqualTo("org");
    assertThat(pick(s, "submission", "lists.example.org")).isEqualTo("org");
    assertThat(pick(s, "submission", "badexample.org")).isEqualTo("default");
    assertThat(pick(s, "news", "example.org")).isEqualTo("both");
    assertThat(pick(s, null, null)).isEqualTo("default");
  }

  @Test
  void onlySelectiveIdentitiesMayMatchNothing() throws Exception {
    IdentitySelector s = selector("[ { name = b, ip = [\"203.0.113.11\"], ehlo = b.example.com, services = [smtp-b] } ]");
    assertThat(s.needsSender()).isFalse();
    assertThat(pick(s, "smtp", null)).isEqualTo("none");
    assertThat(pick(s, "smtp-b", null)).isEqualTo("b");
  }

  @Test
  void senderDomainFromMailFromArguments() {
    assertThat(IdentitySelector.senderDomain("<alice@Example.ORG>")).hasValue("example.org");
    assertThat(IdentitySelector.senderDomain("alice@example.org")).hasValue("example.org");
    assertThat(IdentitySelector.senderDomain("<@relay.example:bob@example.net.>")).hasValue("example.net");
    assertThat(IdentitySelector.senderDomain("<>")).isEmpty();
    assertThat(IdentitySelector.senderDomain("")).isEmpty();
    assertThat(IdentitySelector.senderDomain("<postmaster>")).isEmpty();
    assertThat(IdentitySelector.senderDomain("<bob@>")).isEmpty();
  }
}
