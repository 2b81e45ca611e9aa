package io.lb4j.ratelimit;

import static io.lb4j.ratelimit.Clients.acquire;
import static io.lb4j.ratelimit.Clients.admitted;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.RateLimitState;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** An operator reads a client's tokens and connections, and gives it a fresh bucket. */
class ClientStateReadTest {

  private final ManualClock clock = new ManualClock();
  private final LocalRateLimiter limiter = LocalRateLimiter.builder()
      .defaults(ClientLimit.rate(1, 5).withMaxConcurrent(10))
      .client("batch", ClientLimit.concurrent(2))
      .nanoClock(clock)
      .build();

  @Test
  void aClientNeverSeenIsReportedAsItWouldStart() {
    assertThat(limiter.state("alice")).contains(
        new RateLimitState("alice", false, OptionalLong.of(5), 0, 10));
  }

  @Test
  void tokensLeftAndConnectionsHeldFollowTheClient() {
    admitted(limiter, "alice", 3);

    assertThat(limiter.state("alice")).contains(
        new RateLimitState("alice", true, OptionalLong.of(2), 3, 10));
  }

  @Test
  void aClientWithoutRateLimitHasNoTokens() {
    admitted(limiter, "batch", 1);

    RateLimitState state = limiter.state("batch").orElseThrow();
    assertThat(state.tokensLeft()).isEmpty();
    assertThat(state.connectionsHeld()).isEqualTo(1);
    assertThat(state.maxConcurrent()).isEqualTo(2);
  }

  @Test
  void resetFillsTheBucketAndKeepsTheOpenConnectionsCounted() {
    admitted(limiter, "alice", 5);
    assertThat(acquire(limiter, "alice").admitted()).as("burst used up").isFalse();

    assertThat(limiter.reset("alice")).isTrue();

    RateLimitState state = limiter.state("alice").orElseThrow();
    assertThat(state.tokensLeft()).hasValue(5);
    assertThat(state.connectionsHeld()).isEqualTo(5);
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
  }

  @Test
  void readingIsNotActivity() {
    limiter.state("alice");
    assertThat(limiter.retainedClients()).isZero();
  }
}
