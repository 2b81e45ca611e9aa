package io.lb4j.impl.balancing;

import io.lb4j.api.Defaults;
import io.lb4j.api.Host;
import java.util.Objects;

/**
 * The state of one host of an upstream at one moment, as {@code Forwarder.hostStatus} and
 * {@code LoadBalancer.hostStatus} report it, for metrics and administration.
 *
 * @param host the host
 * @param activeConnections the leases it holds, including connections still connecting
 * @param up whether its health (active check and passive marks) lets it take connections
 * @param draining whether it was removed from the upstream and only waits for its leases to end
 * @param weight its configured weight, from 1 to {@link Defaults#MAX_HOST_WEIGHT}
 * @param slowStartShare the share of its weight it has reached in slow start, above 0 and at most
 *     1; 1 when it is not in slow start
 */
public record HostStatus(
    Host host,
    int activeConnections,
    boolean up,
    boolean draining,
    int weight,
    double slowStartShare) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException if {@code activeConnections} is negative, the weight out of
   *     range or the share not in (0, 1]
   */
  public HostStatus {
    Objects.requireNonNull(host, "host");
    if (activeConnections < 0) {
      throw new IllegalArgumentException(
          "activeConnections must not be negative but was " + activeConnections);
    }
    if (weight < 1 || weight > Defaults.MAX_HOST_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be from 1 to " + Defaults.MAX_HOST_WEIGHT + " but was " + weight);
    }
    if (!(slowStartShare > 0 && slowStartShare <= 1)) {
      throw new IllegalArgumentException(
          "slowStartShare must be above 0 and at most 1 but was " + slowStartShare);
    }
  }

  /**
   * A host at the default weight and not in slow start.
   *
   * @param host the host
   * @param activeConnections the leases it holds
   * @param up whether its health lets it take connections
   * @param draining whether it was removed and waits for its leases to end
   */
  public HostStatus(Host host, int activeConnections, boolean up, boolean draining) {
    this(host, activeConnections, up, draining, Defaults.HOST_WEIGHT, 1);
  }

  /** Returns whether the host may take a new connection now: up and not draining. */
  public boolean eligible() {
    return up && !draining;
  }

  /** Returns whether the host is in slow start, below its full weight. */
  public boolean slowStarting() {
    return slowStartShare < 1;
  }
}
