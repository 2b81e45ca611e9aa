/**
 * The limits of {@code lb-ratelimit}, shared by every lb4j instance pointing at one Redis
 * (standalone, Sentinel or Cluster): the token buckets through Bucket4j's Lettuce integration, and
 * the concurrency caps as fleet-wide counts under per-instance leases.
 *
 * <p>Start with {@link io.lb4j.ratelimit.redis.RedisRateLimiter#builder()}; choose what happens
 * while Redis is unreachable with {@link io.lb4j.ratelimit.redis.FailureMode}.
 */
package io.lb4j.ratelimit.redis;
