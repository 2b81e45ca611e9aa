package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.admitted;
import static io.lb4j.ratelimit.redis.Decisions.refusal;
import static io.lb4j.ratelimit.redis.Decisions.release;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.RefusalReason;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What a failover of Redis must look like to two limiters, one failing open and one failing
 * closed, deciding for a client under load while the master is killed: the open one admits
 * everything, the closed one refuses with {@link RefusalReason#LIMITER_UNAVAILABLE} and never
 * {@code RATE_LIMITED}, and both limit again, buckets and fleet cap, once the new master answers.
 * Sentinel and Cluster tests run it with their own way to kill the master and see the new one.
 */
final class FailoverScenario implements AutoCloseable {

  static final double SLOW = 1.0 / 3600;
  /** A client that no limit ever refuses in the scenario's time. */
  static final String LOAD = "load";

  private final List<RedisRateLimiter> limiters = new ArrayList<>();
  final RedisRateLimiter open;
  final RedisRateLimiter closed;

  FailoverScenario(UnaryOperator<RedisRateLimiter.Builder> where) {
    ClientLimits limits = ClientLimits.of(ClientLimit.rate(SLOW, 3).withMaxConcurrent(2))
        .withOverride(LOAD, ClientLimit.rate(100_000, 100_000).withMaxConcurrent(1_000));
    this.open = track(where.apply(RedisRateLimiter.builder()).keyPrefix("test:")
        .commandTimeout(Duration.ofSeconds(1)).failureMode(FailureMode.FAIL_OPEN)
        .limits(limits).build());
    this.closed = track(where.apply(RedisRateLimiter.builder()).keyPrefix("test:")
        .commandTimeout(Duration.ofSeconds(1)).failureMode(FailureMode.FAIL_CLOSED)
        .limits(limits).build());
  }

  private RedisRateLimiter track(RedisRateLimiter limiter) {
    limiters.add(limiter);
    return limiter;
  }

  /**
   * Runs the scenario: load, {@code killMaster}, {@code awaitNewMaster}, then checks the decisions
   * made meanwhile and the limits after.
   *
   * @param client a client whose keys the killed master served, fresh
   */
  void run(Runnable killMaster, Runnable awaitNewMaster, String client) throws InterruptedException {
    assertThat(admitted(open, "before", 6)).as("limits hold before the failover").isEqualTo(2);
    assertThat(open.connectionCounts("before").fleet()).as("counted in Redis").isEqualTo(2);

    try (DecisionLoad onOpen = new DecisionLoad(open, LOAD);
        DecisionLoad onClosed = new DecisionLoad(closed, LOAD)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> onOpen.admitted() > 20 && onClosed.admitted() > 20);
      killMaster.run();
      awaitNewMaster.run();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
          open.redisFailures() > 0 && closed.redisFailures() > 0
              && open.redisAvailable() && closed.redisAvailable());
      int admittedAfter = onClosed.admitted();
      await().atMost(Duration.ofSeconds(10)).until(() -> onClosed.admitted() > admittedAfter + 10);
      onOpen.close();
      onClosed.close();

      assertThat(onOpen.refusals()).as("fail open admits all through the failover").isEmpty();
      assertThat(onClosed.refusals()).as("fail closed refuses with a reason of its own")
          .containsOnlyKeys(RefusalReason.LIMITER_UNAVAILABLE);
    }

    // The new master limits: the fleet cap across both limiters, then the bucket.
    assertThat(acquire(open, client).admitted()).isTrue();
    assertThat(acquire(closed, client).admitted()).isTrue();
    assertThat(refusal(acquire(open, client)).detail()).contains("across the fleet");
    release(open, client);
    release(closed, client);
    assertThat(acquire(closed, client).admitted()).isTrue();
    assertThat(refusal(acquire(open, client)).reason()).isEqualTo(RefusalReason.RATE_LIMITED);
    assertThat(refusal(acquire(open, client)).detail()).startsWith("rate limit");
  }

  @Override
  public void close() {
    limiters.forEach(RedisRateLimiter::close);
  }
}
