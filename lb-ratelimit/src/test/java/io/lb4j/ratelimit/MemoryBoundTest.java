package io.lb4j.ratelimit;

import static io.lb4j.ratelimit.Clients.acquire;
import static io.lb4j.ratelimit.Clients.admitted;
import static io.lb4j.ratelimit.Clients.release;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ClientIdentity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBoundTest {

  private final ManualClock clock = new ManualClock();

  @Test
  void aMillionDistinctIdentitiesLeaveOnlyTheRecentlySeenRetained() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.rate(5, 10).withMaxConcurrent(3))
        .expireAfterIdle(Duration.ofSeconds(10))
        .nanoClock(clock)
        .build();
    // 1,000 new identities per (injected) second, each idle after one connection: 9,000 to
    // 10,000 are within the idle period at any check, plus up to Caffeine's ~1 s of timer
    // granularity.
    long mostRetained = 0;
    for (int i = 1; i <= 1_000_000; i++) {
      ClientIdentity identity = new ClientIdentity(
          "client-" + i, List.of(), List.of(), List.of(), "", Instant.MAX);
      assertThat(limiter.acquire(identity, "api").toCompletableFuture().join().admitted()).isTrue();
      limiter.release(identity, "api");
      if (i % 1_000 == 0) {
        clock.advance(Duration.ofSeconds(1));
      }
      if (i % 50_000 == 0) {
        mostRetained = Math.max(mostRetained, limiter.retainedClients());
      }
    }

    assertThat(mostRetained).isBetween(9_000L, 11_100L);
    clock.advance(Duration.ofSeconds(12));
    assertThat(limiter.retainedClients()).isZero();
  }

  @Test
  void aClientWithOpenConnectionsIsNeverExpired() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.concurrent(1))
        .expireAfterIdle(Duration.ofSeconds(10))
        .nanoClock(clock)
        .build();
    assertThat(acquire(limiter, "alice").admitted()).isTrue();

    clock.advance(Duration.ofHours(5));

    assertThat(limiter.retainedClients()).isEqualTo(1);
    assertThat(limiter.connectionsInUse("alice")).isEqualTo(1);
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void aClientIsForgottenOnceItsLastConnectionClosedAndItStayedIdle() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.concurrent(1))
        .expireAfterIdle(Duration.ofSeconds(10))
        .nanoClock(clock)
        .build();
    acquire(limiter, "alice");
    clock.advance(Duration.ofHours(5));
    release(limiter, "alice");

    clock.advance(Duration.ofSeconds(9));
    assertThat(limiter.retainedClients()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(3));

    assertThat(limiter.retainedClients()).isZero();
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
  }

  @Test
  void theSizeBoundNeverEvictsAClientWithOpenConnections() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.concurrent(1))
        .maximumClients(100)
        .nanoClock(clock)
        .build();
    assertThat(acquire(limiter, "alice").admitted()).isTrue();

    for (int i = 0; i < 10_000; i++) {
      acquire(limiter, "client-" + i);
      release(limiter, "client-" + i);
    }

    assertThat(limiter.retainedClients()).isLessThanOrEqualTo(101);
    assertThat(limiter.connectionsInUse("alice")).isEqualTo(1);
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void anIdleBucketIsKeptUntilItWouldHaveRefilled() {
    // Ten tokens at one per ten seconds take 100 s to come back, longer than the idle period.
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.rate(0.1, 10))
        .expireAfterIdle(Duration.ofSeconds(1))
        .nanoClock(clock)
        .build();
    admitted(limiter, "alice", 10);

    clock.advance(Duration.ofSeconds(50));

    assertThat(limiter.retainedClients()).isEqualTo(1);
    assertThat(admitted(limiter, "alice", 10)).isEqualTo(5);
  }

  @Test
  void countingConnectionsInUseDoesNotKeepAClientAlive() {
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .expireAfterIdle(Duration.ofSeconds(10))
        .nanoClock(clock)
        .build();
    acquire(limiter, "alice");
    release(limiter, "alice");

    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(3));
      assertThat(limiter.connectionsInUse("alice")).isZero();
    }

    assertThat(limiter.retainedClients()).isZero();
  }
}
