package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ptrguard.ops.BuildInfo;

/** The top-level command line: version, help for every command, and usage errors. */
class CommandsTest {
  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Commands.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void versionPrintsTheBuiltVersion() {
    assertThat(BuildInfo.version()).isNotEqualTo("unknown");
    for (String flag : new String[] {"--version", "-V"}) {
      Run r = run(flag);
      assertThat(r.status()).isZero();
      assertThat(r.out()).isEqualTo("ptrguard " + BuildInfo.version() + "\n");
    }
    assertThat(run("--version", "extra").status()).isEqualTo(64);
  }

  @Test
  void overviewListsEveryCommand() {
    Run r = run("--help");
    assertThat(r.status()).isZero();
    Commands.ALL.forEach(c -> assertThat(r.out()).contains("  " + c.name() + " ").contains(c.summary()));
    assertThat(run("help").out()).isEqualTo(r.out());
  }

  /** help COMMAND and COMMAND --help print the same text: every option with its default, and the exit codes. */
  @Test
  void everyCommandsHelpListsItsOptionsDefaultsAndExitCodes() {
    for (Command c : Commands.ALL) {
      Run viaHelp = run("help", c.name());
      assertThat(viaHelp.status()).as(c.name()).isZero();
      assertThat(run(c.name(), "--help")).isEqualTo(viaHelp);
      assertThat(run(c.name(), "-h").out()).isEqualTo(viaHelp.out());
      String text = viaHelp.out();
      assertThat(text).startsWith(c.usage() + "\n");
      for (Option o : c.options()) {
        assertThat(text).contains("  " + o.label() + "\n");
        if (o.takesValue()) {
          assertThat(text.replaceAll("\\s+", " ")).contains("Default: " + o.defaultText());
        }
      }
      assertThat(text).contains("Exit status:");
      for (Command.ExitCode e : c.exitCodes()) {
        assertThat(text).containsPattern("\\n  " + e.code() + " +\\S");
      }
      assertThat(c.exitCodes()).extracting(Command.ExitCode::code).contains(0, 64);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"serve", "check", "config", "routes", "route"})
  void unknownOptionsMissingAndEmptyValuesExit64WithOneLineAndTheUsage(String command) {
    Command spec = Commands.named(command).orElseThrow();
    for (String[] bad : new String[][] {{"--frob"}, {"--config"}, {"--config="}, {"-c"}, {"-x"}, {"stray"}}) {
      String[] args = new String[bad.length + 1];
      args[0] = command;
      System.arraycopy(bad, 0, args, 1, bad.length);
      Run r = run(args);
      assertThat(r.status()).as(String.join(" ", args)).isEqualTo(64);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines().toList()).as(String.join(" ", args)).hasSize(2)
          .satisfies(l -> assertThat(l.get(0)).startsWith("ptrguard " + command + ": "))
          .satisfies(l -> assertThat(l.get(1)).isEqualTo(spec.usage()));
    }
  }

  @Test
  void unknownCommandAndUnknownHelpTopicExit64() {
    Run r = run("frobnicate");
    assertThat(r.status()).isEqualTo(64);
    assertThat(r.err()).startsWith("ptrguard: unknown command 'frobnicate'\nusage: ptrguard [serve|check|config");
    assertThat(run("help", "frobnicate").status()).isEqualTo(64);
    assertThat(run("help", "check", "serve").status()).isEqualTo(64);
  }

  @Test
  void checkRejectsABadAddressAsAUsageError() {
    Run r = run("check", "--ip=not-an-ip", "--ehlo", "mail.example.com");
    assertThat(r.status()).isEqualTo(64);
    assertThat(r.err()).isEqualTo("ptrguard check: --ip 'not-an-ip' is not an IP address\n" + CheckCommand.SPEC.usage() + "\n");
  }
}
