package io.lb4j.api;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * What a {@link RateLimiter} holds for one client at one moment, as {@link RateLimiter#state}
 * reports it to an operator.
 *
 * @param client the client as the limiter keys it (lb4j's limiters: the common name)
 * @param remembered whether the limiter had state for the client; a client it does not remember
 *     is reported as it would start, with a full bucket and no connection
 * @param tokensLeft the new connections its bucket admits now, or empty when it has no rate limit
 * @param connectionsHeld its admitted connections open now, through this limiter (for a limiter
 *     shared by several lb4j instances: through this instance)
 * @param maxConcurrent its cap on concurrent connections, 0 for none
 * @param fleetConnectionsHeld its connections open now through every lb4j instance sharing the
 *     limiter's store (a fleet), as the store counts them; empty for a limiter that is not shared
 *     or keeps no such count for the client (lb4j's Redis limiter counts the clients that have a
 *     cap)
 */
public record RateLimitState(
    String client,
    boolean remembered,
    OptionalLong tokensLeft,
    int connectionsHeld,
    int maxConcurrent,
    OptionalLong fleetConnectionsHeld) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code client}, {@code tokensLeft} or
   *     {@code fleetConnectionsHeld} is null
   * @throws IllegalArgumentException if a count is negative
   */
  public RateLimitState {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(tokensLeft, "tokensLeft");
    Objects.requireNonNull(fleetConnectionsHeld, "fleetConnectionsHeld");
    if (connectionsHeld < 0 || maxConcurrent < 0
        || fleetConnectionsHeld.orElse(0) < 0) {
      throw new IllegalArgumentException("counts must not be negative but were " + connectionsHeld
          + ", " + maxConcurrent + " and " + fleetConnectionsHeld);
    }
  }

  /**
   * The state of a limiter that is not shared by a fleet: no fleet-wide count.
   *
   * @param client the client as the limiter keys it
   * @param remembered whether the limiter had state for the client
   * @param tokensLeft the new connections its bucket admits now, or empty with no rate limit
   * @param connectionsHeld its admitted connections open now, through this limiter
   * @param maxConcurrent its cap on concurrent connections, 0 for none
   * @throws NullPointerException if {@code client} or {@code tokensLeft} is null
   * @throws IllegalArgumentException if a count is negative
   */
  public RateLimitState(
      String client,
      boolean remembered,
      OptionalLong tokensLeft,
      int connectionsHeld,
      int maxConcurrent) {
    this(client, remembered, tokensLeft, connectionsHeld, maxConcurrent, OptionalLong.empty());
  }
}
