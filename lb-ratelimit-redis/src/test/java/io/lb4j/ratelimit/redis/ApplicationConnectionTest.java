package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.Decisions.acquire;
import static io.lb4j.ratelimit.redis.Decisions.admitted;
import static io.lb4j.ratelimit.redis.Decisions.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.ratelimit.ClientLimit;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A limiter on the application's own Lettuce connection, which stays the application's. */
class ApplicationConnectionTest {

  private static final double SLOW = 1.0 / 3600;

  @RegisterExtension final RedisUnderTest redis = new RedisUnderTest();
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> connection;

  @BeforeEach
  void connect() {
    client = RedisClient.create(redis.uri());
    connection = client.connect(ByteArrayCodec.INSTANCE);
  }

  @AfterEach
  void disconnect() {
    if (connection != null) {
      connection.close();
    }
    if (client != null) {
      client.shutdown();
    }
  }

  private RedisRateLimiter track(RedisRateLimiter.Builder builder) {
    RedisRateLimiter limiter = builder
        .keyPrefix("test:")
        .commandTimeout(Duration.ofSeconds(10))
        .defaults(ClientLimit.rate(SLOW, 10))
        .failureMode(FailureMode.FAIL_CLOSED)
        .build();
    return redis.track(limiter);
  }

  @Test
  void sharesBucketsWithALimiterThatOpenedItsOwnConnection() {
    RedisRateLimiter onApplications = track(RedisRateLimiter.builder().connection(connection));
    RedisRateLimiter onItsOwn = track(RedisRateLimiter.builder().redisUri(redis.uri()));

    int admitted = admitted(onApplications, "alice", 6) + admitted(onItsOwn, "alice", 6);

    assertThat(admitted).isEqualTo(10);
    assertThat(onApplications.redisAvailable()).isTrue();
  }

  @Test
  void closingTheLimiterLeavesTheApplicationsConnectionOpen() {
    RedisRateLimiter limiter = track(RedisRateLimiter.builder().connection(connection));
    assertThat(acquire(limiter, "alice").admitted()).isTrue();

    limiter.close();

    assertThat(connection.isOpen()).isTrue();
    assertThat(new String(connection.sync().echo("still mine".getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.UTF_8)).isEqualTo("still mine");
    assertThat(refusal(acquire(limiter, "alice")).detail())
        .as("a closed limiter no longer uses the connection")
        .isEqualTo("redis unreachable (fail-closed)");
  }

  @Test
  void theLastConnectionOrUriSetIsTheOneUsed() {
    RedisRateLimiter limiter = track(RedisRateLimiter.builder()
        .redisUri("redis://127.0.0.1:1")
        .connection(connection));

    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    assertThat(limiter.redisFailures()).isZero();
  }
}
