/**
 * The token-bucket limits of {@code lb-ratelimit}, shared by every lb4j instance pointing at one
 * Redis, through Bucket4j's Lettuce integration. Concurrency caps stay local to each instance.
 *
 * <p>Start with {@link io.lb4j.ratelimit.redis.RedisRateLimiter#builder()}; choose what happens
 * while Redis is unreachable with {@link io.lb4j.ratelimit.redis.FailureMode}.
 */
package io.lb4j.ratelimit.redis;
