package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.admitted;
import static io.lb4j.ratelimit.redis.Decisions.refusal;
import static io.lb4j.ratelimit.redis.Decisions.release;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import io.lb4j.ratelimit.ClientLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The concurrency cap of a client, held by several instances together through one Redis. */
@Timeout(90)
class FleetCapTest {

  @RegisterExtension final RedisUnderTest redis = new RedisUnderTest();

  private RedisRateLimiter instance(int cap, UnaryOperator<RedisRateLimiter.Builder> settings) {
    return redis.track(settings.apply(RedisRateLimiter.builder()
        .redisUri(redis.uri())
        .keyPrefix("test:")
        // Redis is up: a command slowed by a loaded machine must not fail open.
        .commandTimeout(Duration.ofSeconds(10))
        .defaults(ClientLimit.concurrent(cap))).build());
  }

  private RedisRateLimiter instance(int cap) {
    return instance(cap, b -> b);
  }

  @Test
  void concurrentConnectsOnFourInstancesNeverHoldMoreThanTheCap() throws Exception {
    int cap = 10;
    List<RedisRateLimiter> fleet = List.of(instance(cap), instance(cap), instance(cap), instance(cap));
    AtomicInteger open = new AtomicInteger();
    AtomicInteger highest = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        RedisRateLimiter mine = fleet.get(t % fleet.size());
        workers.add(threads.submit(() -> {
          go.await();
          List<RedisRateLimiter> held = new ArrayList<>();
          for (int i = 0; i < 150; i++) {
            if (!held.isEmpty() && ThreadLocalRandom.current().nextInt(3) == 0) {
              open.decrementAndGet();
              release(held.remove(held.size() - 1), "alice");
            }
            if (acquire(mine, "alice").admitted()) {
              highest.accumulateAndGet(open.incrementAndGet(), Math::max);
              held.add(mine);
            } else {
              refused.incrementAndGet();
            }
          }
          for (RedisRateLimiter l : held) {
            open.decrementAndGet();
            release(l, "alice");
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> w : workers) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }

    assertThat(highest.get()).as("most connections open at once").isEqualTo(cap);
    assertThat(refused.get()).isPositive();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        fleet.get(0).fetchConnectionCounts("alice").toCompletableFuture().get().fleet()).isZero());
  }

  @Test
  void aSecondInstanceSeesTheSlotsTheFirstHolds() {
    RedisRateLimiter first = instance(3);
    RedisRateLimiter second = instance(3);
    assertThat(admitted(first, "alice", 2)).isEqualTo(2);

    assertThat(admitted(second, "alice", 5)).isEqualTo(1);
    assertThat(refusal(acquire(second, "alice")).reason()).isEqualTo(RefusalReason.RATE_LIMITED);

    assertThat(first.connectionCounts("alice")).isEqualTo(new ConnectionCounts(2, 2));
    assertThat(second.connectionCounts("alice").instance()).isEqualTo(1);
    assertThat(second.connectionCounts("alice").fleet()).isEqualTo(3);
  }

  @Test
  void closingAConnectionGivesItsSlotToAnotherInstanceAtOnce() {
    RedisRateLimiter first = instance(2);
    RedisRateLimiter second = instance(2);
    admitted(first, "alice", 2);
    assertThat(acquire(second, "alice").admitted()).isFalse();

    release(first, "alice");

    // The release goes out on first's connection without waiting for Redis: second may ask a
    // moment before it lands, so the slot is awaited (milliseconds), not the lease.
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
        .until(() -> acquire(second, "alice").admitted());
    assertThat(acquire(first, "alice").admitted()).isFalse();
  }

  @Test
  void theSlotsOfAnInstanceThatStopsRenewingReturnWithinTheLease() {
    RedisRateLimiter dying = instance(3, b -> b.leaseTime(Duration.ofSeconds(1)));
    RedisRateLimiter survivor = instance(3, b -> b.leaseTime(Duration.ofSeconds(1)));
    assertThat(admitted(dying, "alice", 3)).isEqualTo(3);

    // Closing the limiter with its connections open stops its renewals, as a crash would; the
    // slots stay in Redis until their lease lapses.
    dying.close();
    assertThat(acquire(survivor, "alice").admitted()).isFalse();

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
        .until(() -> acquire(survivor, "alice").admitted());
    assertThat(admitted(survivor, "alice", 5)).isEqualTo(2);
  }

  @Test
  void aLiveInstanceKeepsItsSlotsPastTheLease() throws InterruptedException {
    RedisRateLimiter holder = instance(2, b -> b.leaseTime(Duration.ofSeconds(1)));
    RedisRateLimiter other = instance(2, b -> b.leaseTime(Duration.ofSeconds(1)));
    admitted(holder, "alice", 2);

    // Several leases pass: the renewals keep the slots.
    for (int i = 0; i < 6; i++) {
      Thread.sleep(500);
      assertThat(acquire(other, "alice").admitted()).as("after %d ms", 500 * (i + 1)).isFalse();
    }
  }

  @Test
  void aRestartUnderTheSameInstanceIdReleasesWhatThePreviousRunHeld() {
    RedisRateLimiter crashed = instance(3, b -> b.instanceId("lb-1"));
    RedisRateLimiter other = instance(3, b -> b.instanceId("lb-2"));
    admitted(crashed, "alice", 3);
    admitted(crashed, "bob", 2);
    crashed.close();
    assertThat(acquire(other, "alice").admitted()).isFalse();

    RedisRateLimiter restarted = instance(3, b -> b.instanceId("lb-1"));

    assertThat(admitted(other, "alice", 5)).as("no waiting for the lease").isEqualTo(3);
    assertThat(admitted(restarted, "bob", 5)).isEqualTo(3);
  }

  @Test
  void failOpenAdmitsOnTheLocalCapAndCountsItOnceRedisIsBack() {
    RedisRateLimiter cutOff = instance(2, b -> b.commandTimeout(Duration.ofSeconds(5)));
    redis.stop();
    assertThat(admitted(cutOff, "alice", 5)).as("the local cap still holds").isEqualTo(2);

    redis.restart();
    RedisRateLimiter other = instance(2);
    // The restarted Redis is empty: cutOff's first answer puts its two connections back.
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (acquire(cutOff, "probe").admitted()) {
        release(cutOff, "probe");
      }
      return cutOff.fetchConnectionCounts("alice").toCompletableFuture().get().fleet() == 2;
    });

    assertThat(acquire(other, "alice").admitted()).isFalse();
    release(cutOff, "alice");
    // A release reaches Redis on its own time, not before release() returns.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> acquire(other, "alice").admitted());
  }

  @Test
  void failClosedRefusesACappedClientWithItsOwnReason() {
    RedisRateLimiter closed = instance(2, b -> b.failureMode(FailureMode.FAIL_CLOSED));
    redis.stop();

    Decision d = acquire(closed, "alice");

    assertThat(refusal(d).reason()).isEqualTo(RefusalReason.LIMITER_UNAVAILABLE);
    assertThat(closed.connectionsInUse("alice")).isZero();
  }
}
