package io.lb4j.ratelimit;

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

  final ClientLimit limit;
  /** Null when the limit has no rate. */
  final BucketConfiguration bucketConfiguration;
  /** Null when the limit has no bandwidth limit; each direction's byte bucket. */
  final BucketConfiguration bytesConfiguration;
  final String rateRefusalDetail;
  /** Null when the limit has no cap; the refusal carries no retry-after, as none is known. */
  final CompletionStage<Decision> concurrencyRefusal;
  /** How long an idle client is kept: the configured idle time, or longer if its bucket needs it. */
  final long keepIdleNanos;

  Policy(ClientLimit limit, long expireAfterIdleNanos) {
    this.limit = limit;
    this.bucketConfiguration = limit.hasRateLimit() ? TokenBuckets.configuration(limit) : null;
    this.bytesConfiguration =
        limit.hasBandwidthLimit() ? TokenBuckets.bytesConfiguration(limit) : null;
    this.rateRefusalDetail = limit.hasRateLimit() ? limit.rateRefusalDetail() : null;
    this.concurrencyRefusal = limit.hasConcurrencyLimit()
        ? CompletableFuture.completedStage(
            Decision.rateLimited(limit.concurrencyRefusalDetail(), Duration.ZERO))
        : null;
    // A bucket forgotten before it could have refilled would hand its client a fresh burst early.
    long bytesFill = limit.hasBandwidthLimit()
        ? (long) Math.min(Long.MAX_VALUE, Math.ceil(1e9 * limit.bytesBurst() / limit.bytesPerSecond()))
        : 0;
    this.keepIdleNanos =
        Math.max(Math.max(expireAfterIdleNanos, limit.timeToFill().toNanos()), bytesFill);
  }
}
