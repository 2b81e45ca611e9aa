package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.admitted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.testkit.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Everything time-dependent in the Redis limiter reads the clocks it was given. */
class InjectedClockTest {

  @RegisterExtension final RedisUnderTest redis = new RedisUnderTest();

  private RedisRateLimiter limiter(RedisRateLimiter.Builder builder) {
    RedisRateLimiter limiter = builder
        .redisUri(redis.uri())
        .keyPrefix("test:")
        .commandTimeout(Duration.ofSeconds(10))
        .build();
    return redis.track(limiter);
  }

  @Test
  void sharedBucketsRefillByTheWallClock() {
    ManualClock clock = new ManualClock(Instant.now());
    RedisRateLimiter limiter = limiter(RedisRateLimiter.builder()
        .wallClock(clock)
        .defaults(ClientLimit.rate(1, 2)));
    assertThat(admitted(limiter, "alice", 3)).isEqualTo(2);

    clock.advance(Duration.ofSeconds(1));

    assertThat(admitted(limiter, "alice", 3)).isEqualTo(1);
  }

  @Test
  void aLimitChangedAtAnEarlierWallClockTimeGivesWayToTheStoredOne() {
    ManualClock now = new ManualClock(Instant.now());
    ManualClock behind = new ManualClock(Instant.now().minus(Duration.ofHours(1)));
    RedisRateLimiter current = limiter(RedisRateLimiter.builder()
        .wallClock(now)
        .defaults(ClientLimit.rate(1.0 / 3600, 10)));
    RedisRateLimiter lagging = limiter(RedisRateLimiter.builder()
        .wallClock(behind)
        .defaults(ClientLimit.rate(1.0 / 3600, 10)));
    admitted(current, "alice", 1);

    // Changed after the stored limit was written, but an hour earlier by its own clock.
    lagging.updateLimits(ClientLimits.of(ClientLimit.rate(1.0 / 3600, 3)));

    assertThat(admitted(lagging, "alice", 10))
        .as("the stored limit of the later version, burst 10, one token taken")
        .isEqualTo(9);
  }

  @Test
  void retriesAFailedFirstConnectionByTheNanoClock() {
    AtomicLong nanos = new AtomicLong(42);
    redis.stop();
    RedisRateLimiter limiter = limiter(RedisRateLimiter.builder()
        .nanoClock(nanos::get)
        .defaults(ClientLimit.rate(1.0 / 3600, 10)));
    redis.restart();

    // A second and a half of real time, and not a nanosecond on the limiter's clock: no retry.
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> {
          acquire(limiter, "alice");
          return !limiter.redisAvailable();
        });
    assertThat(limiter.redisAvailable()).isFalse();

    nanos.addAndGet(Duration.ofSeconds(1).toNanos());

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
      acquire(limiter, "probe");
      return limiter.redisAvailable();
    });
  }
}
