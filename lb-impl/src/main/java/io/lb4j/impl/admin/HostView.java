package io.lb4j.impl.admin;

import io.lb4j.api.Host;
import java.util.Objects;

/**
 * One host of an upstream at one moment, as an operator sees it.
 *
 * @param host the host, as the configuration writes it
 * @param state the one-word summary of {@code admin}, {@code healthy} and {@code removed}
 * @param admin what an operator ordered; {@link AdminState#ENABLED} for a removed host
 * @param healthy whether its health (active checks and passive marks) lets it take connections
 * @param removed whether it left the configuration and only waits for its connections to end
 * @param lastCheck the latest active health check's outcome
 * @param checksInARow how many checks in a row had that outcome, 0 with none
 * @param activeConnections its connections now, including those still connecting
 * @param weight its weight in the upstream
 * @param slowStartShare the share of its weight it has reached in the upstream's slow start, above
 *     0 and at most 1; 1 when it is not in slow start (no slow start configured, or its ramp done)
 */
public record HostView(
    Host host,
    HostState state,
    AdminState admin,
    boolean healthy,
    boolean removed,
    CheckResult lastCheck,
    int checksInARow,
    int activeConnections,
    int weight,
    double slowStartShare) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if an object part is null
   * @throws IllegalArgumentException if {@code slowStartShare} is not in (0, 1]
   */
  public HostView {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(lastCheck, "lastCheck");
    if (!(slowStartShare > 0 && slowStartShare <= 1)) {
      throw new IllegalArgumentException(
          "slowStartShare must be above 0 and at most 1 but was " + slowStartShare);
    }
  }

  /** Returns whether the host is in slow start, below its full weight. */
  public boolean slowStarting() {
    return slowStartShare < 1;
  }

  /**
   * Returns the view of a host from its parts, with the state they add up to.
   *
   * @throws NullPointerException if an object part is null
   * @throws IllegalArgumentException if {@code slowStartShare} is not in (0, 1]
   */
  public static HostView of(
      Host host,
      AdminState admin,
      boolean healthy,
      boolean removed,
      CheckResult lastCheck,
      int checksInARow,
      int activeConnections,
      int weight,
      double slowStartShare) {
    return new HostView(host, HostState.of(admin, healthy, removed), admin, healthy, removed,
        lastCheck, checksInARow, activeConnections, weight, slowStartShare);
  }
}
