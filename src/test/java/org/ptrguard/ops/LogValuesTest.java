package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogValuesTest {
  @Test
  void safeValuesStayBare() {
    assertThat(LogValues.of("mail.example.com")).isEqualTo("mail.example.com");
    assertThat(LogValues.of("203.0.113.10")).isEqualTo("203.0.113.10");
    assertThat(LogValues.of("ptr.missing,fcrdns.mismatch")).isEqualTo("ptr.missing,fcrdns.mismatch");
  }

  @Test
  void hostileValuesAreQuotedAndEscaped() {
    assertThat(LogValues.of("evil\r\nevent=decision verdict=pass")).isEqualTo("\"evil\\x0d\\x0aevent=decision verdict=pass\"");
    assertThat(LogValues.of("a\u0000b")).isEqualTo("\"a\\x00b\"");
    assertThat(LogValues.of("\u001b[31mred")).isEqualTo("\"\\x1b[31mred\"");
    assertThat(LogValues.of("say \"hi\"")).isEqualTo("\"say \\\"hi\\\"\"");
    assertThat(LogValues.of("")).isEqualTo("\"\"");
    assertThat(LogValues.of(null)).isEqualTo("\"\"");
  }

  @Test
  void unicodeLineBreaksBidiOverridesAndZeroWidthCharactersAreEscaped() {
    assertThat(LogValues.of("a\u2028b\u2029c")).isEqualTo("\"a\\u2028b\\u2029c\"");
    // U+202E makes a terminal show what follows right to left ("exe.jpg").
    assertThat(LogValues.of("x\u202egpj.exe")).isEqualTo("\"x\\u202egpj.exe\"");
    assertThat(LogValues.of("pass\u200bword")).isEqualTo("\"pass\\u200bword\"");
    assertThat(LogValues.of("\u0085")).isEqualTo("\"\\x85\"");
    // Ordinary non-ASCII text stays readable.
    assertThat(LogValues.of("müller.example")).isEqualTo("müller.example");
  }

  @Test
  void aSurrogatePairCutByTruncationLeavesNoBrokenCharacter() {
    String v = LogValues.of("x".repeat(LogValues.MAX_LENGTH - 1) + "\ud83d\ude00");
    assertThat(v).contains("\\ud83d...").doesNotContain("\ude00");
  }

  @Test
  void longValuesAreTruncated() {
    String v = LogValues.of("x".repeat(100_000));
    assertThat(v).hasSize(LogValues.MAX_LENGTH + 5).startsWith("\"xxx").endsWith("...\"");
  }

  @Test
  void plainValuesAreNotCopiedAndEveryUnsafeCharacterStillQuotes() {
    String ip = "192.0.2.10";
    assertThat(LogValues.of(ip)).isSameAs(ip);
    String exactlyMax = "x".repeat(LogValues.MAX_LENGTH);
    assertThat(LogValues.of(exactlyMax)).isSameAs(exactlyMax);
    for (String unsafe : new String[] {"a b", "a=b", "a\"b", "a\\b", "a\u007fb", "a\tb", ""}) {
      assertThat(LogValues.of(unsafe)).as(unsafe).startsWith("\"").endsWith("\"");
    }
    // Printable non-ASCII takes the slow path and stays bare, as before.
    assertThat(LogValues.of("a\u00e9b")).isEqualTo("a\u00e9b");
  }
}
