package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.LogCapture;
import org.slf4j.Logger;

/** Every line the logger writes is logfmt, whatever it is given (a library message, a stack trace). */
class PtrguardLoggerTest {
  private static final Logger OURS = new PtrguardLoggerProvider().getLoggerFactory().getLogger("org.ptrguard.decision");
  private static final Logger LIBRARY = new PtrguardLoggerProvider().getLoggerFactory().getLogger("io.netty.util.Foo");

  @Test
  void anEventLineIsLevelLoggerThenTheEvent() {
    try (LogCapture log = LogCapture.start()) {
      OURS.info("event=decision mode={} action={}", "audit", "accept");
      assertThat(log.linesContaining("event=decision")).singleElement().satisfies(l ->
          assertThat(l).matches("ts=\\S+ level=info logger=decision event=decision mode=audit action=accept"));
    }
  }

  @Test
  void aLibraryMessageBecomesAQuotedMsgValue() {
    try (LogCapture log = LogCapture.start()) {
      LIBRARY.warn("Something \"odd\" happened: {}", "x=1\ny");
      assertThat(log.linesContaining("logger=Foo")).singleElement().satisfies(l -> assertThat(l)
          .matches("ts=\\S+ level=warn logger=Foo msg=\"Something \\\\\"odd\\\\\" happened: x=1\\\\x0ay\""));
    }
  }

  @Test
  void aStackTraceIsOneLogfmtLinePerFrame() {
    try (LogCapture log = LogCapture.start()) {
      OURS.error("event=internal-error", new IllegalStateException("broken \"state\"", new RuntimeException("cause")));
      List<String> lines = log.linesContaining("logger=decision");
      assertThat(lines.get(0)).matches("ts=\\S+ level=error logger=decision event=internal-error "
          + "error=\"java.lang.IllegalStateException: broken \\\\\"state\\\\\"\"");
      assertThat(lines.subList(1, lines.size())).isNotEmpty()
          .allSatisfy(l -> assertThat(l).matches("ts=\\S+ level=error logger=decision trace=(\\S+|\"[^\"]*\")"))
          .anySatisfy(l -> assertThat(l).contains("trace=\"Caused by: java.lang.RuntimeException: cause\""));
      assertThat(log.lines()).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("ts="));
    }
  }
}
