package io.lb4j.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.lb4j.api.Decision;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link ClientLimit} prepared for the hot path: its bucket configuration and its refusals are
 * built once per limit, not once per connection. Shared by every client with the same limit;
 * immutable.
 */
final class Policy {

  private static final Duration ONE_SECOND = Duration.ofSeconds(1);
  private static final double NANOS_PER_SECOND = 1e9;

  final ClientLimit limit;
  /** Null when the limit has no rate. */
  final BucketConfiguration bucketConfiguration;
  final String rateRefusalDetail;
  /** Null when the limit has no cap; the refusal carries no retry-after, as none is known. */
  final CompletionStage<Decision> concurrencyRefusal;
  /** How long an idle client is kept: the configured idle time, or longer if its bucket needs it. */
  final long keepIdleNanos;

  Policy(ClientLimit limit, long expireAfterIdleNanos) {
    this.limit = limit;
    this.bucketConfiguration = limit.hasRateLimit() ? bucketConfiguration(limit) : null;
    this.rateRefusalDetail = limit.hasRateLimit() ? limit.rateRefusalDetail() : null;
    this.concurrencyRefusal = limit.hasConcurrencyLimit()
        ? CompletableFuture.completedStage(
            Decision.rateLimited(limit.concurrencyRefusalDetail(), Duration.ZERO))
        : null;
    // A bucket forgotten before it could have refilled would hand its client a fresh burst early.
    this.keepIdleNanos = Math.max(expireAfterIdleNanos, limit.timeToFill().toNanos());
  }

  /**
   * Returns Bucket4j's configuration for a limit with a rate: a greedy refill, so tokens come
   * back smoothly rather than all at once at the end of each second.
   */
  static BucketConfiguration bucketConfiguration(ClientLimit limit) {
    double rate = limit.connectionsPerSecond();
    Bandwidth bandwidth;
    if (rate == Math.rint(rate)) {
      bandwidth = Bandwidth.builder().capacity(limit.burst()).refillGreedy((long) rate, ONE_SECOND).build();
    } else {
      long nanosPerToken = Math.max(1, Math.round(NANOS_PER_SECOND / rate));
      bandwidth = Bandwidth.builder()
          .capacity(limit.burst())
          .refillGreedy(1, Duration.ofNanos(nanosPerToken))
          .build();
    }
    return BucketConfiguration.builder().addLimit(bandwidth).build();
  }
}
