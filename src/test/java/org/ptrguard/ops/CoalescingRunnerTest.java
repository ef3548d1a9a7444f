package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CoalescingRunnerTest {
  @Test
  void requestsDuringARunFoldIntoOneLaterRunThatSeesTheLastRequest() throws Exception {
    AtomicInteger latest = new AtomicInteger();
    List<Integer> seen = new CopyOnWriteArrayList<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch secondDone = new CountDownLatch(2);
    CoalescingRunner runner = new CoalescingRunner("test-runner", "test-error", () -> {
      if (running.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
      seen.add(latest.get());
      firstStarted.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      running.decrementAndGet();
      secondDone.countDown();
    });
    runner.request();
    assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 1; i <= 20; i++) {
      latest.set(i);
      runner.request();
    }
    release.countDown();
    assertThat(secondDone.await(10, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(200); // room for a wrong third run
    assertThat(seen).containsExactly(0, 20);
    assertThat(overlaps.get()).isZero();
  }

  @Test
  void anErrorInOneRunDoesNotStopTheNext() throws Exception {
    CountDownLatch ran = new CountDownLatch(2);
    AtomicInteger runs = new AtomicInteger();
    CoalescingRunner runner = new CoalescingRunner("test-runner", "test-error", () -> {
      ran.countDown();
      if (runs.incrementAndGet() == 1) {
        throw new StackOverflowError("deep");
      }
    });
    runner.request();
    Thread.sleep(100);
    runner.request();
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
