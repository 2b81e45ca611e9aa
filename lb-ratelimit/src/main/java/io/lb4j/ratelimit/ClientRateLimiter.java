package io.lb4j.ratelimit;

import io.lb4j.api.RateLimiter;

/**
 * A {@link RateLimiter} that limits each client by its {@link ClientLimit}, a default and
 * overrides by certificate common name ({@link ClientLimits}), and counts what it did for
 * metrics. {@link LocalRateLimiter} keeps everything in this process; the Redis limiter of
 * {@code lb-ratelimit-redis} shares the token buckets among instances and keeps the rest here.
 *
 * <p>Implementations are thread-safe, and every method here may be called from any thread while
 * connections are decided. The counters are this instance's own, since it was built.
 */
public interface ClientRateLimiter extends RateLimiter {

  /** Returns the limits in force. */
  ClientLimits limits();

  /**
   * Replaces the limits while running. Open connections stay open and keep their slots. A client
   * whose limit is unchanged keeps its bucket as it is; a client whose limit changed keeps the
   * tokens it has (capped at the new burst) and is measured against the new limit from its next
   * connection on.
   *
   * @param limits the new limits
   * @throws NullPointerException if {@code limits} is null
   */
  void updateLimits(ClientLimits limits);

  /**
   * Returns how many clients' local state is remembered right now, after forgetting those that
   * expired. Does the cache's pending maintenance on the calling thread: meant for metrics, not
   * the hot path.
   */
  long retainedClients();

  /** Returns how many connections the token bucket refused through this instance. */
  long rateRefusals();

  /** Returns how many connections the concurrency cap refused through this instance. */
  long concurrencyRefusals();

  /**
   * Returns how many admitted connections of this client are open through this instance, 0 for a
   * client that is not remembered. Does not count as activity of the client.
   *
   * @param commonName the client's CN
   * @return the count, never negative
   */
  int connectionsInUse(String commonName);
}
