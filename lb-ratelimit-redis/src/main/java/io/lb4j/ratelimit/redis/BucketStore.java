package io.lb4j.ratelimit.redis;

import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.time.Clock;
import java.time.Duration;

/**
 * Where the shared state of a {@link RedisRateLimiter} lives: a Lettuce connection (to a standalone
 * Redis, a master found through Sentinel, or a Redis Cluster), Bucket4j's proxy manager on it, and
 * the scripts of the fleet-wide caps. Either lb4j opens the connection from a URI and owns it
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
   * Returns the connection's buckets and scripts, or null while there is no connection; a store
   * that opens its own connection then starts an attempt in the background, at most once a
   * second. Never blocks.
   */
  RedisLink link();

  /** Says where Redis is, for logs ({@code "at 10.0.0.5:6379"}); never a password. */
  String where();

  /**
   * Stops using Redis: {@link #link()} returns null from now on. Closes what lb4j opened and
   * nothing else.
   */
  void close();

  /**
   * What a decision uses of one connection: Bucket4j's buckets, and the commands that run the
   * scripts of the fleet-wide caps (routed by key on a Cluster).
   *
   * @param buckets Bucket4j's proxy manager
   * @param scripts the connection's asynchronous commands
   */
  record RedisLink(
      AsyncProxyManager<byte[]> buckets, RedisScriptingAsyncCommands<byte[], byte[]> scripts) {

    /**
     * Returns the link of {@code connection}, a standalone (or Sentinel-found) or a Cluster
     * connection; see {@link #proxyManager} for {@code requestTimeout}.
     */
    @SuppressWarnings("unchecked")
    static RedisLink of(
        StatefulConnection<byte[], byte[]> connection, Duration requestTimeout, Clock wallClock) {
      if (connection instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster) {
        var builder = Bucket4jLettuce.casBasedBuilder(cluster);
        return new RedisLink(configure(builder, requestTimeout, wallClock), cluster.async());
      }
      var single = (StatefulRedisConnection<byte[], byte[]>) connection;
      return new RedisLink(proxyManager(single, requestTimeout, wallClock), single.async());
    }
  }

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
    return configure(Bucket4jLettuce.casBasedBuilder(connection), requestTimeout, wallClock);
  }

  private static AsyncProxyManager<byte[]> configure(
      Bucket4jLettuce.LettuceBasedProxyManagerBuilder<byte[]> builder,
      Duration requestTimeout,
      Clock wallClock) {
    builder
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
