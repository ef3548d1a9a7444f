package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusalLogTest {
  @Test
  void firstRefusalPerReasonAndSecondIsLoggedTheRestCountedOnTheNextLine() {
    AtomicLong now = new AtomicLong(1_000);
    RefusalLog log = new RefusalLog(now::get);
    assertThat(log.admit("max-connections")).isZero();
    for (int i = 0; i < 500; i++) {
      assertThat(log.admit("max-connections")).isEqualTo(-1);
    }
    // Another reason has its own window.
    assertThat(log.admit("not-in-allow-from")).isZero();
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(999));
    assertThat(log.admit("max-connections")).isEqualTo(-1);
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
    assertThat(log.admit("max-connections")).isEqualTo(501);
    now.addAndGet(TimeUnit.SECONDS.toNanos(5));
    assertThat(log.admit("max-connections")).isZero();
  }
}
