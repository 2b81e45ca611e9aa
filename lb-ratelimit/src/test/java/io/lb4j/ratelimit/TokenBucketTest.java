package io.lb4j.ratelimit;

import static io.lb4j.ratelimit.Clients.acquire;
import static io.lb4j.ratelimit.Clients.admitted;
import static io.lb4j.ratelimit.Clients.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private final ManualClock clock = new ManualClock();

  private LocalRateLimiter limiter(ClientLimit defaults) {
    return LocalRateLimiter.builder().defaults(defaults).nanoClock(clock).build();
  }

  @Test
  void admitsExactlyTheBurstAtOnce() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));

    assertThat(admitted(limiter, "alice", 10)).isEqualTo(10);
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void refusesPastTheBurstWithReasonDetailAndRetryAfter() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));
    admitted(limiter, "alice", 10);

    Refuse refused = refusal(acquire(limiter, "alice"));

    assertThat(refused.reason()).isEqualTo(RefusalReason.RATE_LIMITED);
    assertThat(refused.detail()).isEqualTo("rate limit 5/s burst 10 exceeded");
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void admitsAgainOnceTheRefillIntervalHasPassed() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));
    admitted(limiter, "alice", 10);
    Duration retryAfter = refusal(acquire(limiter, "alice")).retryAfter();

    clock.advance(retryAfter);

    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void refillsNoMoreThanTheBurst() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));
    admitted(limiter, "alice", 10);

    clock.advance(Duration.ofHours(1));

    assertThat(admitted(limiter, "alice", 20)).isEqualTo(10);
  }

  @Test
  void refillsAFractionalRate() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(0.5, 1));
    admitted(limiter, "alice", 1);

    assertThat(refusal(acquire(limiter, "alice")).retryAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(refusal(acquire(limiter, "alice")).detail()).isEqualTo("rate limit 0.5/s burst 1 exceeded");
    clock.advance(Duration.ofSeconds(2));
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
  }

  @Test
  void twoIdentitiesNeverShareABucket() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));

    assertThat(admitted(limiter, "alice", 10)).isEqualTo(10);

    assertThat(admitted(limiter, "bob", 11)).isEqualTo(10);
  }

  @Test
  void limitsAClientAcrossAllUpstreamsTogether() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 2));
    ClientIdentity alice = Clients.client("alice");

    assertThat(limiter.acquire(alice, "api").toCompletableFuture().join().admitted()).isTrue();
    assertThat(limiter.acquire(alice, "db").toCompletableFuture().join().admitted()).isTrue();
    assertThat(limiter.acquire(alice, "web").toCompletableFuture().join().admitted()).isFalse();
  }

  @Test
  void identitiesWithoutCommonNameShareOneBucket() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 2));
    ClientIdentity spiffeOnly =
        new ClientIdentity("", List.of(), List.of(), List.of("spiffe://lb4j/x"), "fp", Instant.MAX);

    assertThat(limiter.acquire(ClientIdentity.ANONYMOUS, "api").toCompletableFuture().join().admitted())
        .isTrue();
    assertThat(limiter.acquire(spiffeOnly, "api").toCompletableFuture().join().admitted()).isTrue();
    assertThat(limiter.acquire(ClientIdentity.ANONYMOUS, "api").toCompletableFuture().join().admitted())
        .isFalse();
  }

  @Test
  void returnsTheSharedAdmittedStageWhenItAdmits() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));

    Object stage = limiter.acquire(Clients.client("alice"), "api");

    assertThat(stage).isSameAs(RateLimiter.ADMITTED);
  }

  @Test
  void countsRateRefusals() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 10));

    admitted(limiter, "alice", 13);

    assertThat(limiter.rateRefusals()).isEqualTo(3);
    assertThat(limiter.concurrencyRefusals()).isZero();
  }

  @Test
  void unlimitedDefaultAdmitsEveryone() {
    LocalRateLimiter limiter = LocalRateLimiter.builder().nanoClock(clock).build();

    assertThat(admitted(limiter, "alice", 1000)).isEqualTo(1000);
    assertThat(limiter.connectionsInUse("alice")).isEqualTo(1000);
  }

  @Test
  void rateRefusalOfAClientWithNothingOpenLeavesNothingInUse() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 1).withMaxConcurrent(3));
    Clients.acquire(limiter, "alice");
    Clients.release(limiter, "alice");

    Decision refused = acquire(limiter, "alice");

    assertThat(refused.admitted()).isFalse();
    assertThat(limiter.connectionsInUse("alice")).isZero();
  }

  @Test
  void rateRefusalOfAClientWithConnectionsOpenTakesNoSlot() {
    LocalRateLimiter limiter = limiter(ClientLimit.rate(5, 2).withMaxConcurrent(3));
    admitted(limiter, "alice", 2);

    assertThat(refusal(acquire(limiter, "alice")).detail()).startsWith("rate limit");

    assertThat(limiter.connectionsInUse("alice")).isEqualTo(2);
    clock.advance(Duration.ofSeconds(1));
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    assertThat(refusal(acquire(limiter, "alice")).detail())
        .isEqualTo("concurrent connection limit 3 reached");
  }

  @Test
  void concurrencyRefusalTakesNoToken() {
    // Refills one token an hour: every token the test sees comes from the burst of 3.
    LocalRateLimiter limiter = limiter(ClientLimit.rate(1.0 / 3600, 3).withMaxConcurrent(1));
    assertThat(acquire(limiter, "alice").admitted()).isTrue();

    assertThat(admitted(limiter, "alice", 5)).isZero();
    assertThat(limiter.concurrencyRefusals()).isEqualTo(5);

    Clients.release(limiter, "alice");
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    Clients.release(limiter, "alice");
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    Clients.release(limiter, "alice");
    assertThat(refusal(acquire(limiter, "alice")).detail()).startsWith("rate limit");
  }

  @Test
  void twoThreadsTogetherGetExactlyTheBurst() throws Exception {
    // With a cap too, so that both the slot and the token are taken concurrently.
    LocalRateLimiter limiter = limiter(ClientLimit.rate(1.0 / 3600, 500).withMaxConcurrent(10_000));
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        runs.add(threads.submit(() -> {
          start.await();
          return admitted(limiter, "alice", 1_000);
        }));
      }
      start.countDown();
      int admitted = 0;
      for (Future<Integer> run : runs) {
        admitted += run.get(30, TimeUnit.SECONDS);
      }

      assertThat(admitted).isEqualTo(500);
      assertThat(limiter.connectionsInUse("alice")).isEqualTo(500);
      assertThat(limiter.rateRefusals()).isEqualTo(1_500);
    } finally {
      threads.shutdownNow();
    }
  }
}
