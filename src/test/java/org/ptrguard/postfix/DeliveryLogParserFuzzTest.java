package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * The delivery log parser and the receiver-reply table fed any line (syslog, maillog_file or journal
 * JSON shaped or not). Properties: nothing throws; every text field of a parsed line is free of
 * control and invisible characters and capped; a reply's code is 0 or a 2xx-5xx code; the
 * classifier never throws on the parsed text; the line splitter hands on at most its limit.
 */
class DeliveryLogParserFuzzTest {
  private static final DeliveryLogParser PARSER =
      new DeliveryLogParser(Clock.fixed(Instant.parse("2026-12-03T08:00:00Z"), ZoneOffset.UTC), ZoneOffset.UTC);

  @FuzzTest(maxDuration = "10s")
  void anyLineParsesSafely(FuzzedDataProvider data) {
    String line = data.consumeRemainingAsString();
    Optional<DeliveryLogLine> parsed = PARSER.parse(line);
    parsed.ifPresent(l -> {
      for (String s : new String[] {l.host(), l.syslogName(), l.service(), l.program(), l.recipient().orElse(""),
          l.receiver().map(DeliveryLogLine.Receiver::host).orElse(""), l.reply().map(DeliveryLogLine.Reply::text).orElse("")}) {
        assertThat(LogText.isSafe(s)).as("escaped: %s", s).isTrue();
        assertThat(s.length()).isLessThanOrEqualTo(6 * LogText.MAX_TEXT + 3);
      }
      assertThat(l.program()).isIn("smtp", "lmtp");
      l.reply().ifPresent(r -> {
        assertThat(r.code() == 0 || (r.code() >= 200 && r.code() < 600)).as("code %s", r.code()).isTrue();
        assertThat(r.text()).isNotEmpty();
      });
      l.receiver().ifPresent(r -> assertThat(r.port()).isBetween(0, 65535));
      ReceiverReplies.standard().classify(l);
    });
    int[] longest = {0};
    LineSplitter splitter = new LineSplitter(64, s -> longest[0] = Math.max(longest[0], s.length()));
    byte[] bytes = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    splitter.feed(bytes, 0, bytes.length);
    splitter.finish();
    assertThat(longest[0]).isLessThanOrEqualTo(64);
  }
}
