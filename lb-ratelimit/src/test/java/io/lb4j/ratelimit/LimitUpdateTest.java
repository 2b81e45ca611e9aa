package io.lb4j.ratelimit;

import static io.lb4j.ratelimit.Clients.acquire;
import static io.lb4j.ratelimit.Clients.admitted;
import static io.lb4j.ratelimit.Clients.refusal;
import static io.lb4j.ratelimit.Clients.release;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;

class LimitUpdateTest {

  // One token an hour: within a test, every admitted connection is paid from the burst.
  private static final double SLOW = 1.0 / 3600;

  private final ManualClock clock = new ManualClock();

  private LocalRateLimiter limiter(ClientLimits limits) {
    return LocalRateLimiter.builder().limits(limits).nanoClock(clock).build();
  }

  @Test
  void aClientWhoseLimitIsUnchangedKeepsItsBucket() {
    LocalRateLimiter limiter = limiter(ClientLimits.of(ClientLimit.rate(SLOW, 10)));
    admitted(limiter, "alice", 10);

    limiter.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 10))
        .withOverride("bob", ClientLimit.rate(SLOW, 50)));

    assertThat(acquire(limiter, "alice").admitted()).isFalse();
    assertThat(admitted(limiter, "bob", 60)).isEqualTo(50);
  }

  @Test
  void aClientWhoseBurstGrowsKeepsTheTokensItHad() {
    LocalRateLimiter limiter = limiter(ClientLimits.of(ClientLimit.rate(SLOW, 10)));
    admitted(limiter, "alice", 4);

    limiter.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 20)));

    assertThat(admitted(limiter, "alice", 30)).isEqualTo(6);
    assertThat(refusal(acquire(limiter, "alice")).detail()).contains("burst 20");
  }

  @Test
  void aClientWhoseBurstShrinksKeepsAtMostTheNewBurst() {
    LocalRateLimiter limiter = limiter(ClientLimits.of(ClientLimit.rate(SLOW, 10)));
    admitted(limiter, "alice", 4);

    limiter.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 3)));

    assertThat(admitted(limiter, "alice", 10)).isEqualTo(3);
  }

  @Test
  void removingTheRateLimitAdmitsEveryConnection() {
    LocalRateLimiter limiter = limiter(ClientLimits.of(ClientLimit.rate(SLOW, 2)));
    admitted(limiter, "alice", 2);

    limiter.updateLimits(ClientLimits.unlimited());

    assertThat(admitted(limiter, "alice", 100)).isEqualTo(100);
  }

  @Test
  void addingARateLimitStartsTheClientWithAFullBucket() {
    LocalRateLimiter limiter = limiter(ClientLimits.unlimited());
    admitted(limiter, "alice", 100);

    limiter.updateLimits(ClientLimits.of(ClientLimit.rate(SLOW, 5)));

    assertThat(admitted(limiter, "alice", 10)).isEqualTo(5);
  }

  @Test
  void openConnectionsKeepTheirSlotsWhenACapIsAdded() {
    LocalRateLimiter limiter = limiter(ClientLimits.unlimited());
    admitted(limiter, "alice", 3);

    limiter.updateLimits(ClientLimits.of(ClientLimit.concurrent(2)));

    assertThat(limiter.connectionsInUse("alice")).isEqualTo(3);
    assertThat(refusal(acquire(limiter, "alice")).detail())
        .isEqualTo("concurrent connection limit 2 reached");
    release(limiter, "alice");
    release(limiter, "alice");
    assertThat(acquire(limiter, "alice").admitted()).isTrue();
    assertThat(acquire(limiter, "alice").admitted()).isFalse();
  }

  @Test
  void anOverrideAddedWhileRunningAppliesToItsClientOnly() {
    LocalRateLimiter limiter = limiter(ClientLimits.of(ClientLimit.concurrent(1)));
    admitted(limiter, "alice", 1);

    limiter.updateLimits(limiter.limits().withOverride("alice", ClientLimit.concurrent(3)));

    assertThat(admitted(limiter, "alice", 5)).isEqualTo(2);
    assertThat(admitted(limiter, "bob", 5)).isEqualTo(1);
  }

  @Test
  void reportsTheLimitsInForce() {
    LocalRateLimiter limiter = limiter(ClientLimits.unlimited());
    ClientLimits next = ClientLimits.of(ClientLimit.concurrent(2));

    limiter.updateLimits(next);

    assertThat(limiter.limits()).isEqualTo(next);
  }

  @Test
  void refusesNullLimits() {
    LocalRateLimiter limiter = limiter(ClientLimits.unlimited());

    assertThatNullPointerException().isThrownBy(() -> limiter.updateLimits(null))
        .withMessage("limits");
  }
}
