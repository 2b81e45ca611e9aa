package io.lb4j.impl.balancing;

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
 */
public record HostStatus(Host host, int activeConnections, boolean up, boolean draining) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException if {@code activeConnections} is negative
   */
  public HostStatus {
    Objects.requireNonNull(host, "host");
    if (activeConnections < 0) {
      throw new IllegalArgumentException(
          "activeConnections must not be negative but was " + activeConnections);
    }
  }

  /** Returns whether the host may take a new connection now: up and not draining. */
  public boolean eligible() {
    return up && !draining;
  }
}
