package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.RateLimitState;
import io.lb4j.api.RefusalReason;
import io.lb4j.ratelimit.ClientLimit;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an operator reads and resets of one client through two instances sharing a Redis: the
 * shared bucket's tokens, read without taking one, this instance's and the fleet's connections,
 * and a reset that refills the bucket for every instance and leaves the counts alone.
 */
@Timeout(60)
class OperatorViewTest {

  @RegisterExtension final RedisUnderTest redis = new RedisUnderTest();

  /** Five new connections, refilled too slowly to matter in a test; at most ten at once. */
  private static final ClientLimit LIMIT = ClientLimit.rate(0.001, 5).withMaxConcurrent(10);

  private RedisRateLimiter instance() {
    return redis.track(RedisRateLimiter.builder()
        .redisUri(redis.uri())
        .keyPrefix("test:")
        .commandTimeout(Duration.ofSeconds(10))
        .defaults(LIMIT)
        .build());
  }

  private static RateLimitState state(RedisRateLimiter limiter, String client) {
    return limiter.state(client).orElseThrow();
  }

  @Test
  void stateShowsTheSharedTokensAndBothCountsWithoutTakingAToken() {
    RedisRateLimiter first = instance();
    RedisRateLimiter second = instance();
    assertThat(acquire(first, "alice").admitted()).isTrue();
    assertThat(acquire(first, "alice").admitted()).isTrue();
    assertThat(acquire(second, "alice").admitted()).isTrue();

    RateLimitState seenByFirst = state(first, "alice");

    assertThat(seenByFirst.remembered()).isTrue();
    assertThat(seenByFirst.tokensLeft()).isEqualTo(OptionalLong.of(2));
    assertThat(seenByFirst.connectionsHeld()).as("through this instance").isEqualTo(2);
    assertThat(seenByFirst.fleetConnectionsHeld()).isEqualTo(OptionalLong.of(3));
    assertThat(seenByFirst.maxConcurrent()).isEqualTo(10);
    RateLimitState seenBySecond = state(second, "alice");
    assertThat(seenBySecond.connectionsHeld()).isEqualTo(1);
    assertThat(seenBySecond.fleetConnectionsHeld()).isEqualTo(OptionalLong.of(3));
    assertThat(seenBySecond.tokensLeft()).as("reading took no token").isEqualTo(OptionalLong.of(2));
  }

  @Test
  void aClientRedisDoesNotHoldIsShownAsItWouldStartAndReadingCreatesNothing() {
    RedisRateLimiter limiter = instance();

    RateLimitState carol = state(limiter, "carol");

    assertThat(carol.remembered()).isFalse();
    assertThat(carol.tokensLeft()).isEqualTo(OptionalLong.of(5));
    assertThat(carol.connectionsHeld()).isZero();
    assertThat(carol.fleetConnectionsHeld()).isEqualTo(OptionalLong.of(0));
    assertThat(state(limiter, "carol").remembered())
        .as("the first read left no bucket in Redis").isFalse();
  }

  @Test
  void resetRefillsTheSharedBucketForEveryInstanceAndKeepsTheCounts() {
    RedisRateLimiter first = instance();
    RedisRateLimiter second = instance();
    for (int i = 0; i < 5; i++) {
      assertThat(acquire(first, "alice").admitted()).isTrue();
    }
    assertThat(refusal(acquire(second, "alice")).reason()).isEqualTo(RefusalReason.RATE_LIMITED);
    assertThat(state(second, "alice").tokensLeft()).isEqualTo(OptionalLong.of(0));

    assertThat(first.reset("alice")).isTrue();

    RateLimitState after = state(second, "alice");
    assertThat(after.tokensLeft()).isEqualTo(OptionalLong.of(5));
    assertThat(after.fleetConnectionsHeld()).as("open connections stay counted")
        .isEqualTo(OptionalLong.of(5));
    assertThat(state(first, "alice").connectionsHeld()).isEqualTo(5);
    assertThat(acquire(second, "alice").admitted()).isTrue();
    assertThat(state(first, "alice").tokensLeft()).isEqualTo(OptionalLong.of(4));
  }

  @Test
  void withoutRedisStateAndResetSayWhyAndChangeNothing() {
    RedisRateLimiter limiter = instance();
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    long failuresBefore = limiter.redisFailures();
    redis.stop();

    assertThatThrownBy(() -> limiter.state("alice"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("rate limit state of alice cannot be read: ")
        .hasMessageContaining("redis");
    assertThatThrownBy(() -> limiter.reset("alice"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("rate limit state of alice cannot be reset: ");
    assertThat(limiter.redisFailures()).as("an operator's read is not a decision")
        .isEqualTo(failuresBefore);
    assertThat(limiter.connectionCounts("alice").instance()).isEqualTo(1);
  }

  @Test
  void aClientWithNeitherRateNorCapIsReadWithoutRedis() {
    RedisRateLimiter limiter = redis.track(RedisRateLimiter.builder()
        .redisUri(redis.uri())
        .keyPrefix("test:")
        .defaults(LIMIT)
        .client("free", ClientLimit.unlimited())
        .build());
    redis.stop();

    RateLimitState free = state(limiter, "free");

    assertThat(free.tokensLeft()).isEmpty();
    assertThat(free.fleetConnectionsHeld()).isEmpty();
    assertThat(free.maxConcurrent()).isZero();
    assertThat(limiter.reset("free")).isTrue();
  }
}
