package io.lb4j.ratelimit.redis;

/**
 * How many connections of one client are open: through this lb4j instance, and through the whole
 * fleet as Redis counts them.
 *
 * @param instance the client's connections open through this instance, never negative
 * @param fleet the client's connections the fleet holds under its concurrency cap, as Redis
 *     counts them, or -1 when unknown (Redis did not answer, or this instance has not asked)
 */
public record ConnectionCounts(int instance, long fleet) {

  /** Returns whether the fleet's count is known. */
  public boolean fleetKnown() {
    return fleet >= 0;
  }
}
