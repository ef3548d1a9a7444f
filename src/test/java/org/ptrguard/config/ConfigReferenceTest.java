package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ptrguard.conf(5) and docs/configuration.md describe exactly the keys reference.conf has. */
class ConfigReferenceTest {
  @Test
  void everyKeyOfReferenceConfIsDescribedAndNothingElse() {
    List<String> described = ConfigReference.KEYS.stream().filter(k -> !k.inListElement())
        .map(ConfigReference.Key::name).toList();
    assertThat(described).as("keys in ConfigReference.KEYS (add a line there for a new key)")
        .containsExactlyInAnyOrderElementsOf(ConfigReference.referencePaths());
  }

  @Test
  void identityElementKeysAreTheOnesTheLoaderAccepts() throws Exception {
    // Every described identity key is accepted by the loader (an unknown one would be a warning).
    StringBuilder identity = new StringBuilder("identities = [{ name = x, ip = [\"192.0.2.1\"], ehlo = mail.example.com");
    identity.append(", senders = [example.com], services = [submission], generic-ptr = fail }]");
    Settings settings = ConfigLoader.parse(identity.toString());
    assertThat(settings.identities()).hasSize(1);
    assertThat(ConfigReference.KEYS.stream().filter(ConfigReference.Key::inListElement)
        .map(k -> k.name().substring("identities[].".length())))
        .containsExactlyInAnyOrder("name", "ip", "ehlo", "senders", "services", "generic-ptr");
  }

  @Test
  void defaultsReadLikeTheFile() {
    assertThat(ConfigReference.defaultOf(key("dns.timeout"))).isEqualTo("2s");
    assertThat(ConfigReference.defaultOf(key("unix-socket.mode"))).isEqualTo("\"0660\"");
    assertThat(ConfigReference.defaultOf(key("listen"))).isEqualTo("[\"inet:127.0.0.1:8894\"]");
  }

  @Test
  void docsConfigurationMdIsTheGeneratedText() throws Exception {
    assertThat(Files.readString(Path.of("docs/configuration.md")))
        .as("docs/configuration.md is out of date: mvn -B -q compile exec:java@docs -Dexec.args=docs")
        .isEqualTo(ConfigReference.markdown());
  }

  private static ConfigReference.Key key(String name) {
    return ConfigReference.KEYS.stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
  }
}
