package io.lb4j.api;

import java.time.Duration;

/**
 * Settings of an active TCP health check: every {@code interval}, lb4j opens a TCP connection to
 * each host of an upstream and closes it at once. A host that fails {@code fall} checks in a row is
 * taken out of rotation; a host that is out comes back after {@code rise} successes in a row.
 *
 * <pre>{@code
 * HealthCheck check = HealthCheck.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
 * }</pre>
 *
 * @param interval time between two checks of one host, positive
 * @param timeout connect timeout of one check, positive
 * @param rise successes in a row that bring a host back, at least 1
 * @param fall failures in a row that take a host out, at least 1
 */
public record HealthCheck(Duration interval, Duration timeout, int rise, int fall) {

  /**
   * Checks the settings.
   *
   * @throws NullPointerException if a duration is null
   * @throws InvalidSettingException if a duration is not positive or a threshold is below 1,
   *     naming the component ({@code interval}, {@code timeout}, {@code rise}, {@code fall})
   */
  public HealthCheck {
    InvalidSettingException.requirePositive(interval, "interval");
    InvalidSettingException.requirePositive(timeout, "timeout");
    InvalidSettingException.requireAtLeast(rise, 1, "rise");
    InvalidSettingException.requireAtLeast(fall, 1, "fall");
  }

  /**
   * Returns a health check with the given settings.
   *
   * @param interval time between two checks of one host
   * @param timeout connect timeout of one check
   * @param rise successes in a row that bring a host back
   * @param fall failures in a row that take a host out
   * @return the settings
   */
  public static HealthCheck of(Duration interval, Duration timeout, int rise, int fall) {
    return new HealthCheck(interval, timeout, rise, fall);
  }

  /**
   * Returns the default health check: {@link Defaults#HEALTH_CHECK_INTERVAL},
   * {@link Defaults#HEALTH_CHECK_TIMEOUT}, {@link Defaults#HEALTH_CHECK_RISE},
   * {@link Defaults#HEALTH_CHECK_FALL}.
   *
   * @return the default settings
   */
  public static HealthCheck defaults() {
    return new HealthCheck(
        Defaults.HEALTH_CHECK_INTERVAL,
        Defaults.HEALTH_CHECK_TIMEOUT,
        Defaults.HEALTH_CHECK_RISE,
        Defaults.HEALTH_CHECK_FALL);
  }
}
