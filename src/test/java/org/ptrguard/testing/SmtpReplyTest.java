package org.ptrguard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {
  @Test
  void singleLineWithEnhancedCode() {
    SmtpReply reply = SmtpReply.parse(List.of("451 4.7.25 Client host rejected: PTR missing"));
    assertThat(reply.code()).isEqualTo(451);
    assertThat(reply.enhancedCode()).contains("4.7.25");
    assertThat(reply.message()).isEqualTo("Client host rejected: PTR missing");
    assertThat(reply.line()).isEqualTo("451 4.7.25 Client host rejected: PTR missing");
    assertThat(reply.transientFailure()).isTrue();
  }

  @Test
  void multiLineKeepsEveryLineAndReadsTheCodeOfTheLast() {
    SmtpReply reply = SmtpReply.parse(List.of("250-mx.example.test", "250-PIPELINING", "250 2.0.0 SMTPUTF8"));
    assertThat(reply.code()).isEqualTo(250);
    assertThat(reply.enhancedCode()).contains("2.0.0");
    assertThat(reply.text()).isEqualTo("mx.example.test\nPIPELINING\n2.0.0 SMTPUTF8");
    assertThat(reply.toString()).isEqualTo("250-mx.example.test\r\n250-PIPELINING\r\n250 2.0.0 SMTPUTF8");
  }

  @Test
  void noEnhancedCodeWhenTheTextDoesNotStartWithOne() {
    SmtpReply reply = SmtpReply.parse(List.of("220 mx.example.test ESMTP"));
    assertThat(reply.enhancedCode()).isEmpty();
    assertThat(reply.message()).isEqualTo("mx.example.test ESMTP");
    assertThat(SmtpReply.parse(List.of("354 End data with <CR><LF>.<CR><LF>")).enhancedCode()).isEmpty();
  }

  @Test
  void bareCodeIsAReplyWithEmptyText() {
    assertThat(SmtpReply.parse(List.of("250")).text()).isEmpty();
  }

  @Test
  void malformedRepliesAreRejected() {
    assertThatThrownBy(() -> SmtpReply.parse(List.of("hello"))).hasMessageContaining("malformed");
    assertThatThrownBy(() -> SmtpReply.parse(List.of("250-a", "451 b"))).hasMessageContaining("different codes");
    assertThatThrownBy(() -> SmtpReply.parse(List.of())).hasMessageContaining("empty");
  }
}
