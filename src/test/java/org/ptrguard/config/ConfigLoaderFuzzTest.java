package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The configuration loader on any text: it returns Settings or throws ConfigException with at least
 * one readable problem; any other exception (a parser error type it forgot to translate, a
 * NullPointerException in a validator, ...) would reach the admin as a stack trace. Seeds are the
 * shipped configuration files, so mutations start from valid HOCON with every key present.
 */
class ConfigLoaderFuzzTest {

  @FuzzTest(maxDuration = "10s")
  void anyTextGivesSettingsOrConfigException(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      Settings settings = ConfigLoader.parse(text);
      assertThat(settings).isNotNull();
      assertThat(settings.listen()).isNotEmpty();
      assertThat(settings.identities()).isNotEmpty();
      String reply = settings.enforce().reply();
      assertThat(ReplyTemplate.problem(reply)).as("accepted reply template %s", reply).isEmpty();
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).isNotBlank());
    }
  }
}
