package io.lb4j.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.InvalidSettingException;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad limit or builder setting names its setting, as the builder spells it, and its value,
 * so that a program reading settings from a file can point at the field without reading the
 * message.
 */
class InvalidSettingTest {

  static Stream<Arguments> badSettings() {
    return Stream.of(
        bad("negative rate", () -> new ClientLimit(-1, 10, 0), "connectionsPerSecond", "-1.0"),
        bad("rate not a number", () -> ClientLimit.rate(Double.NaN, 10), "connectionsPerSecond", "NaN"),
        bad("rate too fast", () -> ClientLimit.rate(2e9, 10), "connectionsPerSecond", "2.0E9"),
        bad("rate of zero from rate()", () -> ClientLimit.rate(0, 0), "connectionsPerSecond", "0.0"),
        bad("negative burst", () -> ClientLimit.rate(5, -1), "burst", "-1"),
        bad("rate without burst", () -> ClientLimit.rate(5, 0), "burst", "0"),
        bad("burst without rate", () -> new ClientLimit(0, 10, 0), "burst", "10"),
        bad("negative cap", () -> ClientLimit.rate(5, 1).withMaxConcurrent(-1), "maxConcurrent", "-1"),
        bad("cap of zero from concurrent()", () -> ClientLimit.concurrent(0), "maxConcurrent", "0"),
        bad("idle time of zero",
            () -> LocalRateLimiter.builder().expireAfterIdle(Duration.ZERO), "expireAfterIdle", "PT0S"),
        bad("no clients", () -> LocalRateLimiter.builder().maximumClients(0), "maximumClients", "0"));
  }

  private static Arguments bad(String name, ThrowingCallable call, String setting, String value) {
    return Arguments.of(name, call, setting, value);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSettings")
  void namesTheSettingAndTheValue(
      String name, ThrowingCallable call, String setting, String value) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
          assertThat(e.setting()).isEqualTo(setting);
          assertThat(e.value()).isEqualTo(value);
          assertThat(e.getMessage()).startsWith(setting + " ");
        });
  }
}
