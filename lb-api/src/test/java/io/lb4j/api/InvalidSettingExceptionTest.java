package io.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class InvalidSettingExceptionTest {

  @Test
  void positiveDurationIsReturnedAndZeroNamesTheSettingAndTheValue() {
    assertThat(InvalidSettingException.requirePositive(Duration.ofMillis(1), "connectTimeout"))
        .isEqualTo(Duration.ofMillis(1));
    assertThatThrownBy(() -> InvalidSettingException.requirePositive(Duration.ZERO, "connectTimeout"))
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> {
              assertThat(e.setting()).isEqualTo("connectTimeout");
              assertThat(e.value()).isEqualTo("PT0S");
              assertThat(e).hasMessage("connectTimeout must be positive but was PT0S");
            });
  }

  @Test
  void nullDurationIsANullPointerNamingTheSetting() {
    assertThatThrownBy(() -> InvalidSettingException.requirePositive(null, "idleTimeout"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("idleTimeout");
  }

  @Test
  void notNegativeAcceptsZeroAndRefusesLess() {
    assertThat(InvalidSettingException.requireNotNegative(Duration.ZERO, "drainTimeout"))
        .isEqualTo(Duration.ZERO);
    assertThatThrownBy(
            () -> InvalidSettingException.requireNotNegative(Duration.ofSeconds(-1), "drainTimeout"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("drainTimeout must not be negative but was PT-1S");
  }

  @Test
  void numbersAreCheckedAgainstTheirBound() {
    assertThat(InvalidSettingException.requirePositive(3, "connectAttempts")).isEqualTo(3);
    assertThatThrownBy(() -> InvalidSettingException.requirePositive(0, "connectAttempts"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("connectAttempts must be positive but was 0");
    assertThat(InvalidSettingException.requireAtLeast(1, 1, "rise")).isEqualTo(1);
    assertThatThrownBy(() -> InvalidSettingException.requireAtLeast(0, 1, "rise"))
        .isInstanceOfSatisfying(
            InvalidSettingException.class, e -> assertThat(e.value()).isEqualTo("0"))
        .hasMessage("rise must be at least 1 but was 0");
  }

  @Test
  void isAnIllegalArgumentSoExistingCallersStillCatchIt() {
    assertThat(new InvalidSettingException("s", null, "s is missing"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void problemIsTheMessageWithoutTheSettingsName() {
    InvalidSettingException e = InvalidSettingException.of("burst", 0, "must be at least 1 but was 0");

    assertThat(e).hasMessage("burst must be at least 1 but was 0");
    assertThat(e.setting()).isEqualTo("burst");
    assertThat(e.value()).isEqualTo("0");
    assertThat(e.problem()).isEqualTo("must be at least 1 but was 0");
  }

  @Test
  void requireChecksKeepTheProblemApart() {
    assertThatThrownBy(() -> InvalidSettingException.requirePositive(Duration.ZERO, "idleTimeout"))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.problem()).isEqualTo("must be positive but was PT0S"));
    assertThatThrownBy(() -> InvalidSettingException.requireNotNegative(-1, "ioThreads"))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.problem()).isEqualTo("must not be negative but was -1"))
        .hasMessage("ioThreads must not be negative but was -1");
  }

  @Test
  void exceptionMadeFromAWholeMessageHasItAsItsProblem() {
    assertThat(new InvalidSettingException("s", null, "s is missing").problem())
        .isEqualTo("s is missing");
  }
}
