package io.lb4j.ratelimit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.lb4j.api.ByteBudget;

/**
 * One client's bandwidth limit: a Bucket4j bucket of bytes per direction, shared by all of the
 * client's connections. A read is counted after it happened (the bytes are already in hand), so a
 * bucket may go into debt; the debt is the time the reading connection pauses. Thread-safe and
 * lock-free on {@link ByteBudget#spend}.
 */
final class ByteBuckets {

  final Direction fromClient;
  final Direction toClient;

  ByteBuckets(BucketConfiguration configuration, TimeMeter clock) {
    fromClient = new Direction(newBucket(configuration, clock));
    toClient = new Direction(newBucket(configuration, clock));
  }

  /**
   * Moves both directions to a new limit, keeping the bytes they hold (capped at the new burst);
   * with no limit, spending is free until a limit comes back.
   */
  void configure(BucketConfiguration configuration, TimeMeter clock) {
    fromClient.configure(configuration, clock);
    toClient.configure(configuration, clock);
  }

  private static Bucket newBucket(BucketConfiguration configuration, TimeMeter clock) {
    return Bucket.builder()
        .addLimit(configuration.getBandwidths()[0])
        .withCustomTimePrecision(clock)
        .build();
  }

  /** One direction's budget. */
  static final class Direction implements ByteBudget {

    /** Null while the client has no bandwidth limit. */
    private volatile Bucket bucket;

    Direction(Bucket bucket) {
      this.bucket = bucket;
    }

    @Override
    public long spend(long bytes) {
      Bucket b = bucket;
      return b == null || bytes <= 0 ? 0 : b.consumeIgnoringRateLimits(bytes);
    }

    synchronized void configure(BucketConfiguration configuration, TimeMeter clock) {
      if (configuration == null) {
        bucket = null;
      } else if (bucket == null) {
        bucket = newBucket(configuration, clock);
      } else {
        bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
      }
    }

    @Override
    public String toString() {
      Bucket b = bucket;
      return b == null ? "unlimited" : b.getAvailableTokens() + " bytes available";
    }
  }
}
