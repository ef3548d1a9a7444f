package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigCommandTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return ConfigCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void printsEffectiveValuesWithOrigins() throws Exception {
    Path file = dir.resolve("ptrguard.conf");
    Files.writeString(file, "# comment\nmode = enforce\ndns.timout = 1s\n");
    assertThat(run("--config", file.toString())).isZero();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("mode = enforce    # " + file + ": 2");
    assertThat(text).contains("dns.timeout = \"2s\"    # built-in default");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("did you mean 'dns.timeout'");
  }

  @Test
  void invalidConfigurationExits78WithFileAndLine() throws Exception {
    Path file = dir.resolve("bad.conf");
    Files.writeString(file, "mode = audit\nlisten = [\"tcp:1.2.3.4\"]\n");
    assertThat(run("--config", file.toString())).isEqualTo(ConfigCommand.EXIT_CONFIG);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(file + ": 2: listen: listener 'tcp:1.2.3.4' is invalid: unknown type 'tcp'; use inet:PORT@HOST");
  }

  @Test
  void badArgumentIsAUsageError() {
    assertThat(run("--frob")).isEqualTo(ConfigCommand.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("ptrguard config: unknown option '--frob'\n"
        + ConfigCommand.SPEC.usage() + "\n");
  }
}
