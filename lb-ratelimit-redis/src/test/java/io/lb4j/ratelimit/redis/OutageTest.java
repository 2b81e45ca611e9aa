package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.admitted;
import static io.lb4j.ratelimit.redis.Decisions.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.testkit.log.LogCapture;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class OutageTest {

  private static final double SLOW = 1.0 / 3600;
  private static final String LOGGER = RedisRateLimiter.class.getName();

  @RegisterExtension final RedisUnderTest redis = new RedisUnderTest();

  private RedisRateLimiter limiter(FailureMode mode, ClientLimit defaults) {
    RedisRateLimiter limiter = RedisRateLimiter.builder()
        .redisUri(redis.uri())
        .keyPrefix("test:")
        .failureMode(mode)
        // Generous: an outage fails commands at once (Lettuce rejects them while disconnected), and
        // while Redis is up a command that a loaded machine slowed must not count as a failure.
        .commandTimeout(Duration.ofSeconds(5))
        .defaults(defaults)
        .build();
    return redis.track(limiter);
  }

  /** Waits until Redis answers this limiter again, asking with a client of its own. */
  private static void awaitRecovery(RedisRateLimiter limiter) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
      acquire(limiter, "probe");
      return limiter.redisAvailable();
    });
  }

  @Test
  void failOpenAdmitsWhileRedisIsDown() {
    RedisRateLimiter limiter = limiter(FailureMode.FAIL_OPEN, ClientLimit.rate(SLOW, 2));
    admitted(limiter, "alice", 2);

    redis.stop();

    assertThat(admitted(limiter, "alice", 5)).isEqualTo(5);
    assertThat(limiter.redisAvailable()).isFalse();
    assertThat(limiter.redisFailures()).isEqualTo(5);
  }

  @Test
  void failOpenStillAppliesTheLocalCap() {
    RedisRateLimiter limiter =
        limiter(FailureMode.FAIL_OPEN, ClientLimit.rate(SLOW, 10).withMaxConcurrent(2));
    redis.stop();

    assertThat(admitted(limiter, "alice", 5)).isEqualTo(2);
  }

  @Test
  void failClosedRefusesWhileRedisIsDownSayingSo() {
    RedisRateLimiter limiter = limiter(FailureMode.FAIL_CLOSED, ClientLimit.rate(SLOW, 10).withMaxConcurrent(5));

    redis.stop();
    Refuse refused = refusal(acquire(limiter, "alice"));

    assertThat(refused.reason()).isEqualTo(RefusalReason.LIMITER_UNAVAILABLE);
    assertThat(refused.detail()).isEqualTo("redis unreachable (fail-closed)");
    assertThat(limiter.connectionsInUse("alice")).as("the refused connection's slot").isZero();
    assertThat(limiter.redisFailures()).isEqualTo(1);
  }

  @Test
  void limitsAgainOnceRedisIsBackOnTheSamePort() {
    RedisRateLimiter limiter = limiter(FailureMode.FAIL_CLOSED, ClientLimit.rate(SLOW, 10));
    redis.stop();
    assertThat(acquire(limiter, "alice").admitted()).isFalse();

    redis.restart();
    awaitRecovery(limiter);

    // The restarted Redis kept nothing, so alice starts with a full bucket again.
    assertThat(admitted(limiter, "alice", 20)).isEqualTo(10);
  }

  @Test
  void logsOneWarningPerOutageAndOneInfoOnRecovery() {
    try (LogCapture log = LogCapture.start()) {
      RedisRateLimiter limiter = limiter(FailureMode.FAIL_OPEN, ClientLimit.rate(SLOW, 100));
      redis.stop();
      admitted(limiter, "alice", 5);

      redis.restart();
      awaitRecovery(limiter);
      admitted(limiter, "alice", 5);

      assertThat(log.lines("WARN", LOGGER, "unreachable", "fail open")).isEqualTo(1);
      assertThat(log.lines("INFO", LOGGER, "reachable again")).isEqualTo(1);
    }
  }

  @Test
  void startsWhileRedisIsDownAndLimitsOnceItIsUp() {
    redis.stop();
    RedisRateLimiter limiter = limiter(FailureMode.FAIL_OPEN, ClientLimit.rate(SLOW, 3));
    assertThat(limiter.redisAvailable()).isFalse();
    assertThat(admitted(limiter, "alice", 5)).isEqualTo(5);

    redis.restart();
    awaitRecovery(limiter);

    assertThat(admitted(limiter, "alice", 5)).isEqualTo(3);
  }

  @Test
  void aClosedLimiterFollowsItsFailureMode() {
    RedisRateLimiter limiter = limiter(FailureMode.FAIL_CLOSED, ClientLimit.rate(SLOW, 3));

    limiter.close();

    assertThat(refusal(acquire(limiter, "alice")).detail()).isEqualTo("redis unreachable (fail-closed)");
  }
}
