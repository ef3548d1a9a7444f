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
  void longValuesAreTruncated() {
    String v = LogValues.of("x".repeat(100_000));
    assertThat(v).hasSize(LogValues.MAX_LENGTH + 5).startsWith("\"xxx").endsWith("...\"");
  }
}
