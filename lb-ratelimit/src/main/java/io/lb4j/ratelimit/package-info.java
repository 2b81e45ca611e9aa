/**
 * Per-client rate limiting for lb4j: a token bucket on new connections and a cap on concurrent
 * connections for each client identity, kept in this process.
 *
 * <p>Start with {@link io.lb4j.ratelimit.LocalRateLimiter#builder()}; limits are written as
 * {@link io.lb4j.ratelimit.ClientLimit} values, a default plus overrides by certificate common
 * name ({@link io.lb4j.ratelimit.ClientLimits}). The same limits shared by several lb4j instances
 * live in the {@code lb-ratelimit-redis} module.
 */
package io.lb4j.ratelimit;
