package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.admitted;
import static io.lb4j.ratelimit.redis.Decisions.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SharedBucketTest {

  // One token an hour: within a test, every admitted connection is paid from the burst.
  private static final double SLOW = 1.0 / 3600;

  @RegisterExtension final RedisUnderTest redis = new RedisUnderTest();

  private RedisRateLimiter limiter(ClientLimit defaults) {
    return limiter(b -> b.defaults(defaults));
  }

  private RedisRateLimiter limiter(UnaryOperator<RedisRateLimiter.Builder> settings) {
    // Redis is up in these tests: a command that a loaded machine slows past the default timeout
    // would fail open and admit, which is OutageTest's subject, not theirs.
    RedisRateLimiter limiter = settings.apply(RedisRateLimiter.builder()
        .redisUri(redis.uri())
        .keyPrefix("test:")
        .commandTimeout(Duration.ofSeconds(10))).build();
    return redis.track(limiter);
  }

  @Test
  void twoInstancesSharingOneRedisAdmitTogetherExactlyTheBurst() {
    RedisRateLimiter first = limiter(ClientLimit.rate(SLOW, 10));
    RedisRateLimiter second = limiter(ClientLimit.rate(SLOW, 10));

    int admitted = 0;
    for (int i = 0; i < 10; i++) {
      admitted += acquire(first, "alice").admitted() ? 1 : 0;
      admitted += acquire(second, "alice").admitted() ? 1 : 0;
    }

    assertThat(admitted).isEqualTo(10);
    assertThat(first.rateRefusals() + second.rateRefusals()).isEqualTo(10);
  }

  @Test
  void concurrentDecisionsFromTwoInstancesStillAdmitExactlyTheBurst() {
    RedisRateLimiter first = limiter(ClientLimit.rate(SLOW, 10));
    RedisRateLimiter second = limiter(ClientLimit.rate(SLOW, 10));
    List<CompletableFuture<Decision>> pending = new ArrayList<>();

    for (int i = 0; i < 20; i++) {
      pending.add(first.acquire(Decisions.client("alice"), "api").toCompletableFuture());
      pending.add(second.acquire(Decisions.client("alice"), "api").toCompletableFuture());
    }

    assertThat(pending.stream().map(CompletableFuture::join).filter(Decision::admitted).count())
        .isEqualTo(10);
  }

  @Test
  void refusesPastTheBurstNamingTheLimitWithARetryAfter() {
    // One token every 100 s: the eleven round trips to Redis cannot take long enough to earn one.
    RedisRateLimiter limiter = limiter(ClientLimit.rate(0.01, 10));
    assertThat(admitted(limiter, "alice", 10)).as("the burst, every one from Redis").isEqualTo(10);

    Refuse refused = refusal(acquire(limiter, "alice"));

    assertThat(refused.reason()).isEqualTo(RefusalReason.RATE_LIMITED);
    assertThat(refused.detail()).isEqualTo("rate limit 0.01/s burst 10 exceeded");
    assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(100));
  }

  @Test
  void twoIdentitiesNeverShareABucket() {
    RedisRateLimiter limiter = limiter(ClientLimit.rate(SLOW, 3));
    admitted(limiter, "alice", 3);

    assertThat(admitted(limiter, "bob", 5)).isEqualTo(3);
  }

  @Test
  void keepsEachBucketUnderThePrefixAndTheCommonName() {
    RedisRateLimiter limiter = limiter(ClientLimit.rate(SLOW, 3));

    acquire(limiter, "alice");

    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, String> raw = client.connect()) {
      assertThat(raw.sync().exists("test:{alice}")).isEqualTo(1);
      assertThat(raw.sync().pttl("test:{alice}")).as("buckets expire").isPositive();
    } finally {
      client.shutdown();
    }
  }

  @Test
  void instancesWithDifferentPrefixesDoNotShare() {
    RedisRateLimiter first = limiter(b -> b.defaults(ClientLimit.rate(SLOW, 3)).keyPrefix("one:"));
    RedisRateLimiter second = limiter(b -> b.defaults(ClientLimit.rate(SLOW, 3)).keyPrefix("two:"));
    admitted(first, "alice", 3);

    assertThat(admitted(second, "alice", 5)).isEqualTo(3);
  }

  @Test
  void theConcurrencyCapHoldsAcrossInstances() {
    RedisRateLimiter first = limiter(ClientLimit.rate(SLOW, 100).withMaxConcurrent(2));
    RedisRateLimiter second = limiter(ClientLimit.rate(SLOW, 100).withMaxConcurrent(2));

    assertThat(admitted(first, "alice", 5)).isEqualTo(2);
    assertThat(admitted(second, "alice", 5)).isZero();
    assertThat(refusal(acquire(first, "alice")).detail())
        .isEqualTo("concurrent connection limit 2 reached");
    assertThat(refusal(acquire(second, "alice")).detail())
        .isEqualTo("concurrent connection limit 2 reached across the fleet");
    assertThat(first.concurrencyRefusals()).isEqualTo(4);
    assertThat(second.concurrencyRefusals()).isEqualTo(6);
  }

  @Test
  void aRefusalByTheSharedBucketGivesBackItsLocalSlot() {
    RedisRateLimiter limiter = limiter(ClientLimit.rate(SLOW, 2).withMaxConcurrent(5));

    admitted(limiter, "alice", 4);

    assertThat(limiter.connectionsInUse("alice")).isEqualTo(2);
    Decisions.release(limiter, "alice");
    assertThat(limiter.connectionsInUse("alice")).isEqualTo(1);
  }

  @Test
  void aConnectionRefusedByTheCapTakesNoSharedToken() {
    RedisRateLimiter limiter = limiter(ClientLimit.rate(SLOW, 3).withMaxConcurrent(1));
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    assertThat(admitted(limiter, "alice", 5)).isZero();

    Decisions.release(limiter, "alice");

    Decision again = acquire(limiter, "alice");
    assertThat(again.admitted()).as("%s", again).isTrue();
    Decisions.release(limiter, "alice");
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    Decisions.release(limiter, "alice");
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void aClientWithNeitherLimitIsDecidedWithoutRedis() {
    RedisRateLimiter limiter = limiter(b -> b
        .defaults(ClientLimit.rate(SLOW, 1).withMaxConcurrent(1))
        .client("monitor", ClientLimit.unlimited()));

    assertThat(admitted(limiter, "monitor", 3)).isEqualTo(3);

    redis.stop();
    Decisions.release(limiter, "monitor");
    assertThat(acquire(limiter, "monitor").admitted()).isTrue();
    assertThat(limiter.redisFailures()).isZero();
  }

  @Test
  void anUpdatedLimitReachesTheSharedBucketKeepingItsTokens() {
    RedisRateLimiter limiter = limiter(ClientLimit.rate(SLOW, 10));
    admitted(limiter, "alice", 4);

    limiter.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 3)));

    assertThat(admitted(limiter, "alice", 10)).isEqualTo(3);
    assertThat(refusal(acquire(limiter, "alice")).detail()).contains("burst 3");
  }

  @Test
  void anInstanceWithAnOlderLimitFollowsTheLimitChangedLast() {
    RedisRateLimiter stale = limiter(ClientLimit.rate(SLOW, 10));
    RedisRateLimiter updated = limiter(ClientLimit.rate(SLOW, 10));
    admitted(stale, "alice", 1);

    updated.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 3)));
    admitted(updated, "alice", 1);

    // 9 tokens left, capped at the new burst of 3, one of them taken by the updated instance.
    assertThat(admitted(stale, "alice", 10)).isEqualTo(2);
  }

  @Test
  void aClientWhoseLimitIsUnchangedKeepsItsSharedBucketAcrossAnUpdate() {
    RedisRateLimiter limiter = limiter(ClientLimit.rate(SLOW, 5));
    admitted(limiter, "alice", 5);

    limiter.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 5))
        .withOverride("bob", ClientLimit.rate(SLOW, 1)));

    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }
}
