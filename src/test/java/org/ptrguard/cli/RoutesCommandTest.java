package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Argument handling of {@code ptrguard routes} and {@code ptrguard route} (no Postfix needed). */
class RoutesCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int routes(String... args) {
    return RoutesCommand.routes(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false);
  }

  private int route(String... args) {
    return RoutesCommand.route(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpPrintsTheUsage() {
    assertThat(routes("--help")).isZero();
    assertThat(route("-h")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains(RoutesCommand.ROUTES_SPEC.usage()).contains(RoutesCommand.ROUTE_SPEC.usage());
  }

  @Test
  void badArgumentsAreUsageErrors() {
    assertThat(routes("--sender", "a@example.org")).isEqualTo(CheckCommand.EXIT_USAGE);
    assertThat(route("--sender", "a@example.org")).isEqualTo(CheckCommand.EXIT_USAGE);
    assertThat(route("--rcpt")).isEqualTo(CheckCommand.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("ptrguard routes: unknown option '--sender'")
        .contains("ptrguard route: at least one --rcpt is needed")
        .contains("ptrguard route: option '--rcpt' needs a value (ADDR)");
  }

  @Test
  void anInvalidConfigurationExits78() {
    assertThat(routes("--config", "/nonexistent/ptrguard.conf")).isEqualTo(CheckCommand.EXIT_CONFIG);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such configuration file");
  }
}
