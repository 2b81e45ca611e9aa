package io.lb4j.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ClientLimit}'s rate becomes a Bucket4j bucket, in one place for every backend (the
 * local limiter here, the Redis one in {@code lb-ratelimit-redis}), so that all of them answer
 * alike.
 *
 * <pre>{@code
 * BucketConfiguration c = TokenBuckets.configuration(ClientLimit.rate(5, 10));
 * }</pre>
 */
public final class TokenBuckets {

  private static final Duration ONE_SECOND = Duration.ofSeconds(1);
  private static final double NANOS_PER_SECOND = 1e9;

  private TokenBuckets() {}

  /**
   * Returns the configuration of a bucket holding {@code limit.burst()} tokens, initially full,
   * refilled greedily (a token at a time, smoothly, rather than all at once at the end of each
   * second) at {@code limit.connectionsPerSecond()}.
   *
   * @param limit a limit with a rate
   * @return the configuration, immutable
   * @throws IllegalArgumentException if {@code limit} has no rate limit
   */
  public static BucketConfiguration configuration(ClientLimit limit) {
    Objects.requireNonNull(limit, "limit");
    if (!limit.hasRateLimit()) {
      throw new IllegalArgumentException("limit must have a rate limit but was " + limit);
    }
    double rate = limit.connectionsPerSecond();
    Bandwidth bandwidth;
    if (rate == Math.rint(rate)) {
      bandwidth = Bandwidth.builder().capacity(limit.burst()).refillGreedy((long) rate, ONE_SECOND).build();
    } else {
      // Whole nanoseconds per token: exact for rates like 0.5/s or 2.5/s, within 1 ns otherwise.
      long nanosPerToken = Math.max(1, Math.round(NANOS_PER_SECOND / rate));
      bandwidth = Bandwidth.builder()
          .capacity(limit.burst())
          .refillGreedy(1, Duration.ofNanos(nanosPerToken))
          .build();
    }
    return BucketConfiguration.builder().addLimit(bandwidth).build();
  }

  /**
   * Returns the configuration of one direction's byte bucket: {@code limit.bytesBurst()} bytes,
   * initially full, refilled greedily at {@code limit.bytesPerSecond()}.
   *
   * @param limit a limit with a bandwidth limit
   * @return the configuration, immutable
   * @throws IllegalArgumentException if {@code limit} has no bandwidth limit
   */
  public static BucketConfiguration bytesConfiguration(ClientLimit limit) {
    Objects.requireNonNull(limit, "limit");
    if (!limit.hasBandwidthLimit()) {
      throw new IllegalArgumentException("limit must have a bandwidth limit but was " + limit);
    }
    Bandwidth bandwidth = Bandwidth.builder()
        .capacity(limit.bytesBurst())
        .refillGreedy(limit.bytesPerSecond(), ONE_SECOND)
        .build();
    return BucketConfiguration.builder().addLimit(bandwidth).build();
  }
}
