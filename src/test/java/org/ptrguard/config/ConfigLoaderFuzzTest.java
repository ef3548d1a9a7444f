package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The configuration loader on any text: it returns Settings or throws ConfigException with at least
 * one readable problem; any other exception (a parser error type it forgot to translate, a
 * NullPointerException in a validator, ...) would reach the admin as a stack trace. Two targets: raw
 * bytes seeded with the shipped configuration files, and known keys with fuzzed values.
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
      String reply = settings.enforce().reply().text();
      assertThat(ReplyTemplate.problem(reply)).as("accepted reply template %s", reply).isEmpty();
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).isNotBlank());
    }
  }

  /** Keys and shapes the loader validates, so the fuzzer spends its time past the HOCON parser. */
  private static final String[] KEYS = {"mode", "listen", "unix-socket.mode", "unix-socket.group", "allow-from",
      "identities", "identities.0.ip", "scope.clients", "dns.resolvers", "dns.compare-with", "dns.timeout",
      "dns.check-budget", "dns.stale-max", "refresh.min", "refresh.max", "enforce.action", "enforce.reply",
      "enforce.block-on", "audit.add-header", "on-dns-error", "log.level", "metrics.listen",
      "limits.max-frame-bytes", "limits.max-connections", "limits.idle-timeout", "limits.max-macros-per-stage",
      "limits.max-macro-bytes", "limits.max-waiting-sessions", "no-such-key"};

  /** Known keys with values of any type and content, so the fuzzer spends its time in our validation. */
  @FuzzTest(maxDuration = "10s")
  void knownKeysWithAnyValues(FuzzedDataProvider data) {
    String text = data.consumeBoolean() ? structured(data) : data.consumeRemainingAsString();
    // include statements make typesafe-config read other files or URLs: that is the library's I/O,
    // not our validation, and a fuzzed "include" of /dev/zero would only test the disk.
    if (text.contains("include")) {
      return;
    }
    try {
      Settings settings = ConfigLoader.parse(text);
      assertThat(settings.mode()).isNotNull();
      assertThat(settings.listen()).isNotEmpty();
    } catch (ConfigException e) {
      assertThat(e.problems()).as("a rejected configuration names its problems").isNotEmpty();
      e.problems().forEach(p -> assertThat(p).isNotBlank());
    }
  }

  /**
   * Nesting of any depth and shape ({@code [}, {@code { k = }}, at a known key or not), the path
   * where typesafe-config recursed into a StackOverflowError: deeper than the limit is exactly one
   * problem naming it, never an Error; within the limit the usual property holds.
   */
  @FuzzTest(maxDuration = "10s")
  void nestingOfAnyDepth(FuzzedDataProvider data) {
    int depth = data.consumeInt(0, 20_000);
    String key = data.pickValue(KEYS);
    StringBuilder open = new StringBuilder();
    StringBuilder close = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      boolean list = data.remainingBytes() == 0 || data.consumeBoolean();
      open.append(list ? "[" : "{ k = ");
      close.insert(0, list ? "]" : " }");
    }
    String leaf = data.consumeBoolean() ? "1" : "\"" + data.consumeAsciiString(10).replaceAll("[\\\\\"]", "") + "\"";
    String text = key + " = " + open + leaf + close + "\n";
    try {
      ConfigLoader.parse(text);
      assertThat(depth).as("accepted nesting depth").isLessThanOrEqualTo(ConfigLoader.MAX_DEPTH);
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).isNotBlank());
      if (depth > ConfigLoader.MAX_DEPTH) {
        assertThat(e.problems()).singleElement().asString().contains("nested too deeply");
      }
    }
  }

  private static String structured(FuzzedDataProvider data) {
    StringBuilder hocon = new StringBuilder();
    int lines = data.consumeInt(1, 6);
    for (int i = 0; i < lines; i++) {
      String key = data.pickValue(KEYS);
      String value = switch (data.consumeInt(0, 4)) {
        case 0 -> '"' + data.consumeString(40).replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        case 1 -> Long.toString(data.consumeLong());
        case 2 -> "[" + '"' + data.consumeString(30).replace("\\", "\\\\").replace("\"", "\\\"") + '"' + "]";
        case 3 -> data.consumeBoolean() ? "true" : "null";
        default -> "{ ip = [\"" + data.consumeAsciiString(20).replace("\\", "").replace("\"", "") + "\"], ehlo = \""
            + data.consumeAsciiString(20).replace("\\", "").replace("\"", "") + "\" }";
      };
      hocon.append(key).append(" = ").append(value).append('\n');
    }
    return hocon.toString();
  }
}
