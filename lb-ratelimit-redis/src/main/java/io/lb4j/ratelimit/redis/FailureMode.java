package io.lb4j.ratelimit.redis;

/** What a {@link RedisRateLimiter} does with a new connection while Redis cannot be reached. */
public enum FailureMode {

  /**
   * Admit it: an outage of Redis never turns clients away, but nobody's rate is limited until Redis
   * is back, and the concurrency cap holds per instance only (each instance still applies it to
   * its own connections, which count toward the fleet's again once Redis is back). The default.
   */
  FAIL_OPEN,

  /**
   * Refuse it with reason {@link io.lb4j.api.RefusalReason#LIMITER_UNAVAILABLE} (not
   * {@code RATE_LIMITED}: the client is not over its limit) and the detail
   * {@code "redis unreachable (fail-closed)"}: nobody gets past the shared limits, and nobody with
   * a rate limit or a cap gets in at all until Redis is back. Clients with neither are not
   * affected.
   */
  FAIL_CLOSED
}
