package io.lb4j.ratelimit;

import static io.lb4j.ratelimit.Clients.acquire;
import static io.lb4j.ratelimit.Clients.admitted;
import static io.lb4j.ratelimit.Clients.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OverrideTest {

  private final ManualClock clock = new ManualClock();

  @Test
  void anOverrideAppliesToItsCommonName() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.rate(5, 2))
        .client("alice", ClientLimit.rate(5, 20))
        .nanoClock(clock)
        .build();

    assertThat(admitted(limiter, "alice", 30)).isEqualTo(20);
    assertThat(admitted(limiter, "bob", 30)).isEqualTo(2);
  }

  @Test
  void anOverrideReplacesTheDefaultEntirely() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.rate(5, 100).withMaxConcurrent(2))
        .client("alice", ClientLimit.rate(5, 50))
        .nanoClock(clock)
        .build();

    // alice's override says nothing about concurrency, so she has no cap.
    assertThat(admitted(limiter, "alice", 10)).isEqualTo(10);
    assertThat(admitted(limiter, "bob", 10)).isEqualTo(2);
  }

  @Test
  void anUnlimitedOverrideExemptsItsClient() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.rate(5, 1).withMaxConcurrent(1))
        .client("monitor", ClientLimit.unlimited())
        .nanoClock(clock)
        .build();

    assertThat(admitted(limiter, "monitor", 500)).isEqualTo(500);
  }

  @Test
  void overridesMatchTheCommonNameExactly() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.concurrent(1))
        .client("alice", ClientLimit.concurrent(5))
        .nanoClock(clock)
        .build();

    assertThat(admitted(limiter, "Alice", 5)).isEqualTo(1);
  }

  @Test
  void anOverrideForTheEmptyNameAppliesToIdentitiesWithoutOne() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.concurrent(5))
        .client("", ClientLimit.concurrent(1))
        .nanoClock(clock)
        .build();

    assertThat(admitted(limiter, "", 5)).isEqualTo(1);
    assertThat(refusal(acquire(limiter, "")).detail()).isEqualTo("concurrent connection limit 1 reached");
  }
}
