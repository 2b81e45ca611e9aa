package io.lb4j.ratelimit.redis;

import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.time.Duration;

/**
 * Where the shared buckets of a {@link RedisRateLimiter} live: a Lettuce connection, and
 * Bucket4j's proxy manager on it. Either lb4j opens the connection from a URI and owns it
 * ({@link OwnedConnection}), or the application hands in its own and keeps owning it
 * ({@link GivenConnection}). Thread-safe.
 */
sealed interface BucketStore permits OwnedConnection, GivenConnection {

  /** Keys outlive the moment their bucket is full again by this, against clock skew between instances. */
  Duration KEEP_FULL_BUCKETS = Duration.ofSeconds(10);

  /**
   * Readies the store when the limiter is built; may wait about a second for Redis.
   *
   * @return why Redis cannot be used yet, or null if it can
   */
  Throwable start();

  /**
   * Returns the proxy manager, or null while there is no connection; a store that opens its own
   * connection then starts an attempt in the background, at most once a second. Never blocks.
   */
  AsyncProxyManager<byte[]> buckets();

  /** Says where Redis is, for logs ({@code "at 10.0.0.5:6379"}); never a password. */
  String where();

  /**
   * Stops using Redis: {@link #buckets()} returns null from now on. Closes what lb4j opened and
   * nothing else.
   */
  void close();

  /**
   * Returns Bucket4j's compare-and-swap proxy manager on {@code connection}.
   *
   * @param requestTimeout how long one decision may wait for Redis, or null where the connection's
   *     own command timeout already bounds it: Bucket4j's timeout is a JDK delayed task per request,
   *     whose cancellation takes the JDK scheduler's lock on Lettuce's event loop, so it is set
   *     only for a connection whose timeouts lb4j does not control
   */
  static AsyncProxyManager<byte[]> proxyManager(
      StatefulRedisConnection<byte[], byte[]> connection, Duration requestTimeout, Clock wallClock) {
    var builder =
        Bucket4jLettuce.casBasedBuilder(connection)
            .expirationAfterWrite(
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKETS))
            .clientClock(new WallTimeMeter(wallClock));
    if (requestTimeout != null) {
      builder.requestTimeout(requestTimeout);
    }
    return builder.build().asAsync();
  }

  /** Bucket4j's clock, read from the injected wall clock, to the millisecond as Bucket4j's own. */
  record WallTimeMeter(Clock clock) implements TimeMeter {
    private static final long NANOS_PER_MILLI = 1_000_000L;

    @Override
    public long currentTimeNanos() {
      return clock.millis() * NANOS_PER_MILLI;
    }

    @Override
    public boolean isWallClockBased() {
      return true;
    }
  }
}
