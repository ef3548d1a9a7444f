package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.ptrguard.testing.LogCapture;

class LogRateLimitTest {
  @Test
  void firstLinePerKeyAndSecondIsLoggedTheRestCountedOnTheNextLine() {
    AtomicLong now = new AtomicLong(1_000);
    LogRateLimit log = new LogRateLimit(now::get);
    assertThat(log.admit("max-connections")).isZero();
    for (int i = 0; i < 500; i++) {
      assertThat(log.admit("max-connections")).isEqualTo(-1);
    }
    // Another key has its own window.
    assertThat(log.admit("not-in-allow-from")).isZero();
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(999));
    assertThat(log.admit("max-connections")).isEqualTo(-1);
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
    assertThat(log.admit("max-connections")).isEqualTo(501);
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    assertThat(log.admit("max-connections")).isZero();
  }

  @Test
  void admittedLinesCarryTheSuppressedCount() {
    AtomicLong now = new AtomicLong(0);
    LogRateLimit limit = new LogRateLimit(now::get);
    org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(LogRateLimitTest.class);
    try (LogCapture capture = LogCapture.start()) {
      for (int i = 0; i < 10; i++) {
        limit.warn(logger, "k", "event=test n={}", i);
      }
      now.addAndGet(TimeUnit.SECONDS.toNanos(1));
      limit.warn(logger, "k", "event=test n={}", 10);
      assertThat(capture.linesContaining("event=test")).hasSize(2)
          .satisfiesExactly(l -> assertThat(l).endsWith("event=test n=0"),
              l -> assertThat(l).endsWith("event=test n=10 suppressed=9"));
    }
  }
}
