package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The SMTP reply validator behind REPLYCODE, on any text: it accepts or throws
 * IllegalArgumentException with a message, nothing else; and whatever it accepts is, on the wire,
 * a reply Postfix takes (checked here independently of the validator's own patterns): 1 to 32
 * CRLF-separated lines of printable ASCII, each at most 510 characters, the same 4xx/5xx code on
 * each, '-' after the code on all but the last line, '%' doubled, one NUL at the end.
 */
class ReplyTextFuzzTest {

  @FuzzTest(maxDuration = "10s")
  void replyCodeAcceptsOnlyWellFormedReplies(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    MilterReply reply;
    try {
      reply = MilterReply.replyCode(text);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    assertThat(reply.text()).contains(text);
    byte[] payload = reply.payload();
    assertThat(payload[payload.length - 1]).isZero();
    String wire = new String(Arrays.copyOf(payload, payload.length - 1), StandardCharsets.US_ASCII);
    assertThat(wire.replace("%%", "%")).isEqualTo(text);
    String[] lines = text.split("\r\n", -1);
    assertThat(lines.length).isBetween(1, MilterReply.MAX_LINES);
    String code = lines[0].substring(0, 3);
    assertThat(code.charAt(0)).isIn('4', '5');
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      assertThat(line.length()).isBetween(4, MilterReply.MAX_LINE_LENGTH);
      assertThat(line.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)).as("printable ASCII: %s", line).isTrue();
      assertThat(line.substring(0, 3)).isEqualTo(code);
      assertThat(Character.isDigit(line.charAt(1)) && Character.isDigit(line.charAt(2))).isTrue();
      assertThat(line.charAt(3)).isEqualTo(i == lines.length - 1 ? ' ' : '-');
    }
  }
}
