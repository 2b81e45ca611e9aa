package io.lb4j.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuilderTest {

  @Test
  void refusesANonPositiveIdlePeriod() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> LocalRateLimiter.builder().expireAfterIdle(Duration.ZERO))
        .withMessage("expireAfterIdle must be positive but was PT0S");
  }

  @Test
  void refusesANonPositiveMaximumOfClients() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> LocalRateLimiter.builder().maximumClients(0))
        .withMessage("maximumClients must be positive but was 0");
  }

  @Test
  void refusesANullClock() {
    assertThatNullPointerException()
        .isThrownBy(() -> LocalRateLimiter.builder().nanoClock(null))
        .withMessage("nanoClock");
  }

  @Test
  void limitsReplaceTheDefaultAndOverridesSetBefore() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .client("alice", ClientLimit.concurrent(1))
        .limits(ClientLimits.of(ClientLimit.concurrent(2)))
        .build();

    assertThat(limiter.limits()).isEqualTo(ClientLimits.of(ClientLimit.concurrent(2)));
  }

  @Test
  void limitsNobodyByDefault() {
    assertThat(LocalRateLimiter.builder().build().limits()).isEqualTo(ClientLimits.unlimited());
  }
}
