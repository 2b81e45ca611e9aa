package io.lb4j.ratelimit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.InvalidSettingException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisBuilderTest {

  @Test
  void requiresARedisUri() {
    assertThatIllegalStateException().isThrownBy(() -> RedisRateLimiter.builder().build())
        .withMessage("redisUri must be set");
  }

  @Test
  void refusesAUriThatIsNotRedis() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RedisRateLimiter.builder().redisUri("http://localhost:6379"))
        .withMessage("redisUri must be a redis://, rediss:// or redis-sentinel:// URI but was http://localhost:6379");
  }

  @Test
  void refusesAnEmptyKeyPrefix() {
    assertThatIllegalArgumentException().isThrownBy(() -> RedisRateLimiter.builder().keyPrefix(""))
        .withMessage("keyPrefix must not be empty but was \"\"");
  }

  @Test
  void refusesANonPositiveCommandTimeout() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RedisRateLimiter.builder().commandTimeout(Duration.ofMillis(-1)))
        .withMessage("commandTimeout must be positive but was PT-0.001S");
  }

  @Test
  void checksTheLocalSettingsAsTheLocalLimiterDoes() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RedisRateLimiter.builder().expireAfterIdle(Duration.ZERO))
        .withMessage("expireAfterIdle must be positive but was PT0S");
  }

  @Test
  void namesTheSettingAndTheValueOfEveryBadSetting() {
    assertThatThrownBy(() -> RedisRateLimiter.builder().redisUri("http://localhost:6379"))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertSetting(e, "redisUri", "http://localhost:6379"));
    assertThatThrownBy(() -> RedisRateLimiter.builder().keyPrefix(""))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertSetting(e, "keyPrefix", ""));
    assertThatThrownBy(() -> RedisRateLimiter.builder().commandTimeout(Duration.ZERO))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertSetting(e, "commandTimeout", "PT0S"));
    assertThatThrownBy(() -> RedisRateLimiter.builder().expireAfterIdle(Duration.ofSeconds(-1)))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertSetting(e, "expireAfterIdle", "PT-1S"));
    assertThatThrownBy(() -> RedisRateLimiter.builder().maximumClients(-1))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertSetting(e, "maximumClients", "-1"));
  }

  @Test
  void takesASentinelSetAndClusterSeeds() {
    assertThat(RedisRateLimiter.builder()
        .redisUri("redis-sentinel://:secret@127.0.0.1:26379,127.0.0.1:26380?sentinelMasterId=lb"))
        .isNotNull();
    assertThat(RedisRateLimiter.builder()
        .cluster(List.of("redis://127.0.0.1:7000", "rediss://:secret@127.0.0.1:7001")))
        .isNotNull();
  }

  @Test
  void namesTheFleetSettingsWhenTheyAreBad() {
    assertThatThrownBy(() -> RedisRateLimiter.builder().cluster(List.of()))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertSetting(e, "cluster", "[]"));
    assertThatThrownBy(() -> RedisRateLimiter.builder()
        .cluster(List.of("redis-sentinel://127.0.0.1:26379?sentinelMasterId=lb")))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("cluster"));
    assertThatThrownBy(() -> RedisRateLimiter.builder().leaseTime(Duration.ofMillis(999)))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertSetting(e, "leaseTime", "PT0.999S"));
    assertThatThrownBy(() -> RedisRateLimiter.builder().instanceId(""))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertSetting(e, "instanceId", ""));
  }

  private static void assertSetting(InvalidSettingException e, String setting, String value) {
    assertThat(e.setting()).isEqualTo(setting);
    assertThat(e.value()).isEqualTo(value);
    assertThat(e.getMessage()).startsWith(setting + " ");
  }
}
