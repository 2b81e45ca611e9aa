package io.lb4j.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.InvalidSettingException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientLimitTest {

  @Test
  void zeroMeansNoSuchLimit() {
    ClientLimit limit = new ClientLimit(0, 0, 0);

    assertThat(limit.hasRateLimit()).isFalse();
    assertThat(limit.hasConcurrencyLimit()).isFalse();
    assertThat(limit).isEqualTo(ClientLimit.unlimited());
  }

  @Test
  void factoriesSetOneLimitEach() {
    assertThat(ClientLimit.rate(5, 10)).isEqualTo(new ClientLimit(5, 10, 0));
    assertThat(ClientLimit.concurrent(3)).isEqualTo(new ClientLimit(0, 0, 3));
    assertThat(ClientLimit.rate(5, 10).withMaxConcurrent(3)).isEqualTo(new ClientLimit(5, 10, 3));
    assertThat(ClientLimit.concurrent(3).withRate(5, 10)).isEqualTo(new ClientLimit(5, 10, 3));
    assertThat(new ClientLimit(5, 10, 3).withoutRate()).isEqualTo(ClientLimit.concurrent(3));
  }

  @Test
  void refusesANegativeRate() {
    assertThatIllegalArgumentException().isThrownBy(() -> new ClientLimit(-1, 10, 0))
        .withMessage("connectionsPerSecond must be finite and not negative but was -1.0");
  }

  @Test
  void refusesANonFiniteRate() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.rate(Double.NaN, 10))
        .withMessage("connectionsPerSecond must be finite and not negative but was NaN");
  }

  @Test
  void refusesARateFasterThanOneANanosecond() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.rate(2e9, 10))
        .withMessage("connectionsPerSecond must be 0 (no rate limit) or between 1.0E-9 and 1.0E9 but was 2.0E9");
  }

  @Test
  void refusesARateWithoutABurst() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.rate(5, 0))
        .withMessage("burst must be positive when connectionsPerSecond is 5.0 but was 0");
  }

  @Test
  void refusesABurstWithoutARate() {
    assertThatIllegalArgumentException().isThrownBy(() -> new ClientLimit(0, 10, 0))
        .withMessage("burst must be 0 when connectionsPerSecond is 0 (no rate limit) but was 10");
  }

  @Test
  void refusesANegativeBurst() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.rate(5, -1))
        .withMessage("burst must not be negative but was -1");
  }

  @Test
  void refusesANegativeCap() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.rate(5, 1).withMaxConcurrent(-1))
        .withMessage("maxConcurrent must not be negative but was -1");
  }

  @Test
  void factoriesRefuseZeroWhichWouldMeanNoLimit() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.concurrent(0))
        .withMessage("maxConcurrent must be positive but was 0 (use unlimited() for no cap)");
    assertThatIllegalArgumentException().isThrownBy(() -> ClientLimit.rate(0, 0))
        .withMessage("connectionsPerSecond must be positive but was 0 (use unlimited() for no rate limit)");
  }

  @Test
  void namesTheLimitInRefusalDetails() {
    ClientLimit limit = ClientLimit.rate(2.5, 10).withMaxConcurrent(3);

    assertThat(limit.rateRefusalDetail()).isEqualTo("rate limit 2.5/s burst 10 exceeded");
    assertThat(limit.concurrencyRefusalDetail()).isEqualTo("concurrent connection limit 3 reached");
  }

  @Test
  void knowsHowLongAnEmptyBucketTakesToFill() {
    assertThat(ClientLimit.rate(5, 10).timeToFill()).isEqualTo(Duration.ofSeconds(2));
    assertThat(ClientLimit.concurrent(3).timeToFill()).isEqualTo(Duration.ZERO);
  }

  @Test
  void bandwidthBurstDefaultsToOneSecondsWorth() {
    assertThat(ClientLimit.unlimited().withBandwidth(1_000, 0).bytesBurst()).isEqualTo(1_000);
    assertThat(ClientLimit.unlimited().withBandwidth(1_000, 64).bytesBurst()).isEqualTo(64);
    assertThat(ClientLimit.unlimited().hasBandwidthLimit()).isFalse();
  }

  @Test
  void bandwidthAboveOneByteANanosecondNamesTheSetting() {
    assertThatThrownBy(() -> ClientLimit.unlimited().withBandwidth(1_000_000_001L, 0))
        .isInstanceOf(InvalidSettingException.class)
        .satisfies(e -> assertThat(((InvalidSettingException) e).setting())
            .isEqualTo("bytesPerSecond"));
  }
}
