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
 * @param connectionsHeld its admitted connections open now, through this limiter
 * @param maxConcurrent its cap on concurrent connections, 0 for none
 */
public record RateLimitState(
    String client,
    boolean remembered,
    OptionalLong tokensLeft,
    int connectionsHeld,
    int maxConcurrent) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code client} or {@code tokensLeft} is null
   * @throws IllegalArgumentException if a count is negative
   */
  public RateLimitState {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(tokensLeft, "tokensLeft");
    if (connectionsHeld < 0 || maxConcurrent < 0) {
      throw new IllegalArgumentException(
          "counts must not be negative but were " + connectionsHeld + " and " + maxConcurrent);
    }
  }
}
