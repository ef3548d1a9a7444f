package org.ptrguard.milter;

import org.ptrguard.net.ListenAddress;
import org.ptrguard.net.CidrRange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MilterReplyTest {

  @Test
  void validRepliesAreAcceptedAndEncodedWithPercentDoubled() {
    assertThat(MilterReply.replyCode("451 4.7.25 not ready").payload())
        .isEqualTo("451 4.7.25 not ready\0".getBytes(StandardCharsets.US_ASCII));
    assertThat(MilterReply.replyCode("421 4.7.0 try 50% later").payload())
        .isEqualTo("421 4.7.0 try 50%% later\0".getBytes(StandardCharsets.US_ASCII));
    assertThat(MilterReply.replyCode("550 no enhanced code").code()).isEqualTo('y');
    assertThat(MilterReply.replyCode("451-4.7.1 a\r\n451-4.7.1 b\r\n451 4.7.1 c").text()).contains("451-4.7.1 a\r\n451-4.7.1 b\r\n451 4.7.1 c");
    assertThat(MilterReply.replyCode("554 5.7.1").code()).isEqualTo('y');
    assertThat(MilterReply.replyCode("451 ").code()).isEqualTo('y');
  }

  @Test
  void invalidRepliesAreRefusedWithAClearMessage() {
    assertRefused(null, "empty");
    assertRefused("", "empty");
    assertRefused("250 ok", "4xx or 5xx");
    assertRefused("45 short", "4xx or 5xx");
    assertRefused("451", "4xx or 5xx");
    assertRefused("451text", "4xx or 5xx");
    assertRefused("451 4.7.1 a\r\n", "must not end with CRLF");
    assertRefused("451 5.7.1 mismatch", "enhanced status class 5 but reply class 4");
    assertRefused("550 4.7.1 mismatch", "enhanced status class 4 but reply class 5");
    assertRefused("451 4.7 short", "malformed enhanced status code");
    assertRefused("451 4.7.1234 long", "malformed enhanced status code");
    assertRefused("451 4.7.1 bare\nlf", "CR or LF");
    assertRefused("451 4.7.1 bare\rcr", "CR or LF");
    assertRefused("451 4.7.1 nul\0", "control");
    assertRefused("451 4.7.1 esc\u001b[31m", "control");
    assertRefused("451 4.7.1 caf\u00e9", "non-ASCII");
    assertRefused("451 4.7.1 a\r\n451 4.7.1 b", "must have '-'");
    assertRefused("451-4.7.1 a\r\n451-4.7.1 b", "last line");
    assertRefused("451-4.7.1 a\r\n452 4.7.1 b", "code 452 but the first line has 451");
    assertRefused("451-4.7.1 a\r\n451 5.7.1 b", "line 2 has enhanced status class 5");
    assertRefused("451 4.7.1 " + "x".repeat(600), "longer than");
    assertRefused("451-a\r\n".repeat(40) + "451 b", "at most 32");
  }

  private static void assertRefused(String text, String messagePart) {
    assertThatThrownBy(() -> MilterReply.replyCode(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(messagePart);
  }

  @Test
  void modificationsValidateTheirText() {
    assertThatThrownBy(() -> Modification.addHeader("Bad Name", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Modification.addHeader("X-A:", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Modification.addHeader("X-A", "a\r\nInjected: 1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Modification.insertHeader(-1, "X-A", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Modification.quarantine("")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Modification.addHeader("X-A", "v\tw").payload()).isEqualTo("X-A\0v\tw\0".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void listenAddressesAndCidrRangesParse() throws Exception {
    assertThat(ListenAddress.parse("inet:127.0.0.1:8894")).hasToString("inet:127.0.0.1:8894");
    assertThat(ListenAddress.parse("inet:[::1]:0")).isInstanceOf(ListenAddress.Inet.class);
    assertThat(ListenAddress.parse("unix:/run/ptrguard/milter.sock")).hasToString("unix:/run/ptrguard/milter.sock");
    for (String bad : new String[] {"inet:nosuchhost.invalid:25", "inet:::1:25", "inet:127.0.0.1:70000", "inet:127.0.0.1",
        "unix:relative", "tcp:1.2.3.4:5", "inet:127.0.0.1:x"}) {
      assertThatThrownBy(() -> ListenAddress.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    CidrRange loop = CidrRange.parse("127.0.0.0/8");
    assertThat(loop.contains(java.net.InetAddress.getByName("127.9.9.9"))).isTrue();
    assertThat(loop.contains(java.net.InetAddress.getByName("128.0.0.1"))).isFalse();
    assertThat(loop.contains(java.net.InetAddress.getByName("::1"))).isFalse();
    assertThat(CidrRange.parse("::1/128").contains(java.net.InetAddress.getByName("::1"))).isTrue();
    assertThat(CidrRange.parse("192.0.2.0/25").contains(java.net.InetAddress.getByName("192.0.2.200"))).isFalse();
    assertThat(CidrRange.parse("192.0.2.7").contains(java.net.InetAddress.getByName("192.0.2.7"))).isTrue();
    assertThatThrownBy(() -> CidrRange.parse("192.0.2.0/33")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CidrRange.parse("example.com")).isInstanceOf(IllegalArgumentException.class);
  }
}
