package io.lb4j.ratelimit;

import static io.lb4j.ratelimit.Clients.acquire;
import static io.lb4j.ratelimit.Clients.admitted;
import static io.lb4j.ratelimit.Clients.refusal;
import static io.lb4j.ratelimit.Clients.release;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyCapTest {

  private final ManualClock clock = new ManualClock();
  private final LocalRateLimiter limiter =
      LocalRateLimiter.builder().defaults(ClientLimit.concurrent(3)).nanoClock(clock).build();

  @Test
  void refusesTheFourthSimultaneousConnection() {
    assertThat(admitted(limiter, "alice", 3)).isEqualTo(3);

    Refuse refused = refusal(acquire(limiter, "alice"));

    assertThat(refused.reason()).isEqualTo(RefusalReason.RATE_LIMITED);
    assertThat(refused.detail()).isEqualTo("concurrent connection limit 3 reached");
    assertThat(refused.retryAfter()).isEqualTo(Duration.ZERO);
    assertThat(limiter.concurrencyRefusals()).isEqualTo(1);
  }

  @Test
  void admitsANewConnectionAfterOneRelease() {
    admitted(limiter, "alice", 3);
    assertThat(acquire(limiter, "alice").admitted()).isFalse();

    release(limiter, "alice");

    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void capsEachClientSeparately() {
    admitted(limiter, "alice", 3);

    assertThat(admitted(limiter, "bob", 4)).isEqualTo(3);
  }

  @Test
  void releaseWithoutAnAdmittedAcquireNeverDrivesTheCountNegative() {
    release(limiter, "nobody");
    admitted(limiter, "alice", 1);
    release(limiter, "alice");
    release(limiter, "alice");
    release(limiter, "alice");

    assertThat(limiter.connectionsInUse("alice")).isZero();
    assertThat(limiter.connectionsInUse("nobody")).isZero();
    assertThat(admitted(limiter, "alice", 4)).isEqualTo(3);
  }

  @Test
  void thousandMixedCyclesEndWithNothingInUse() {
    Random random = new Random(42);
    int held = 0;
    for (int i = 0; i < 1000; i++) {
      if (held > 0 && random.nextBoolean()) {
        release(limiter, "alice");
        held--;
      } else if (acquire(limiter, "alice").admitted()) {
        held++;
      }
      assertThat(limiter.connectionsInUse("alice")).isEqualTo(held);
    }
    for (; held > 0; held--) {
      release(limiter, "alice");
    }

    assertThat(limiter.connectionsInUse("alice")).isZero();
  }

  @Test
  void thousandMixedCyclesFromTwoThreadsNeverExceedTheCapAndEndWithNothingInUse()
      throws Exception {
    AtomicInteger open = new AtomicInteger();
    AtomicInteger mostOpen = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        long seed = t;
        runs.add(threads.submit(() -> {
          Random random = new Random(seed);
          int held = 0;
          start.await();
          for (int i = 0; i < 1000; i++) {
            if (held > 0 && random.nextBoolean()) {
              // Counted as closed before the limiter hears of it, so "open" never over-counts.
              open.decrementAndGet();
              release(limiter, "alice");
              held--;
            } else if (acquire(limiter, "alice").admitted()) {
              mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
              held++;
            }
          }
          for (; held > 0; held--) {
            open.decrementAndGet();
            release(limiter, "alice");
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> run : runs) {
        run.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }

    assertThat(mostOpen.get()).isBetween(1, 3);
    assertThat(limiter.connectionsInUse("alice")).isZero();
    assertThat(admitted(limiter, "alice", 4)).isEqualTo(3);
  }
}
