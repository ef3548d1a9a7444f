package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings.RouteSettings;
import org.ptrguard.postfix.PostfixTools;

/** routes.enabled = auto made concrete at start, against the real postconf of a private configuration directory. */
class RouteModeChoiceTest {
  @TempDir Path postfixDir;

  private PostfixTools postconf() throws Exception {
    Files.writeString(postfixDir.resolve("main.cf"), "compatibility_level = 3.6\nmyhostname = mail.example.com\n");
    return new PostfixTools(Optional.of(postfixDir), "/usr/sbin/postconf", "/usr/sbin/postmap", Duration.ofSeconds(10));
  }

  private static final PostfixTools MISSING = new PostfixTools(Optional.empty(), "/nonexistent/postconf",
      "/nonexistent/postmap", Duration.ofSeconds(2));

  private static RouteSettings routes(String hocon) throws Exception {
    return ConfigLoader.parse(hocon).routes();
  }

  @Test
  void autoWithoutIdentitiesFollowsPostfixWhenPostconfAnswers() throws Exception {
    RouteChecks.RouteModeChoice c = RouteChecks.routeMode(routes("mode = audit"), postconf());
    assertThat(c.on()).isTrue();
    assertThat(c.reason()).startsWith("routes.enabled = auto, no identities written and postconf answers (Postfix 3.");
  }

  @Test
  void autoWithoutPostconfKeepsTheBuiltInIdentity() throws Exception {
    RouteChecks.RouteModeChoice c = RouteChecks.routeMode(routes("mode = audit"), MISSING);
    assertThat(c.on()).isFalse();
    assertThat(c.reason()).contains("routes.enabled = auto and /nonexistent/postconf").contains("failed");
  }

  @Test
  void autoWithWrittenIdentitiesStaysPerSession() throws Exception {
    RouteChecks.RouteModeChoice c = RouteChecks.routeMode(
        routes("identities = [ { name = default, ip = [\"203.0.113.25\"], ehlo = mail.example.com } ]"), postconf());
    assertThat(c.on()).isFalse();
    assertThat(c.reason()).isEqualTo("routes.enabled = auto and the configuration writes identities");
  }

  @Test
  void yesAndNoAreTakenAsWritten() throws Exception {
    assertThat(RouteChecks.routeMode(routes("routes.enabled = yes"), MISSING).on()).isTrue();
    assertThat(RouteChecks.routeMode(routes("routes.enabled = no"), postconf()).on()).isFalse();
  }
}
