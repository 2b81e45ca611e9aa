package io.lb4j.ratelimit.redis;

/** What a {@link RedisRateLimiter} does with a new connection while Redis cannot be reached. */
public enum FailureMode {

  /**
   * Admit it (the concurrency cap, which is local, still applies): an outage of Redis never
   * turns clients away, but nobody's rate is limited until Redis is back. The default.
   */
  FAIL_OPEN,

  /**
   * Refuse it with reason {@link io.lb4j.api.RefusalReason#RATE_LIMITED} and a detail saying
   * Redis is unreachable: nobody gets past the shared limit, and nobody gets in at all until
   * Redis is back. Clients without a rate limit are not affected.
   */
  FAIL_CLOSED
}
