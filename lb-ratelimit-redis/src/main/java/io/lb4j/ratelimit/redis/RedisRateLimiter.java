package io.lb4j.ratelimit.redis;

import static io.lb4j.api.InvalidSettingException.requireArgument;
import static io.lb4j.api.InvalidSettingException.requirePositive;

import io.lb4j.api.Defaults;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.RateLimiter;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.ClientRateLimiter;
import io.lb4j.ratelimit.ClientRateLimiterBuilder;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@link RateLimiter} whose token buckets live in Redis, so that every lb4j instance pointing at
 * the same Redis (and key prefix) draws a client's new connections from one shared bucket.
 *
 * <pre>{@code
 * try (RedisRateLimiter limiter = RedisRateLimiter.builder()
 *     .redisUri("redis://10.0.0.5:6379")
 *     .defaults(ClientLimit.rate(5, 10).withMaxConcurrent(20))
 *     .client("alice", ClientLimit.rate(50, 100))
 *     .failureMode(FailureMode.FAIL_OPEN)
 *     .build()) {
 *   // hand it to the load balancer
 * }
 * }</pre>
 *
 * <h2>Semantics</h2>
 * The limits are the same {@link ClientLimit}s as for {@link LocalRateLimiter}, keyed by
 * certificate common name, with an override replacing the default entirely. The token bucket of a
 * client is stored under the key {@code keyPrefix + commonName} and is shared cluster-wide;
 * <b>the concurrency cap stays local</b>: each instance counts only its own open connections (a
 * shared count would leak slots whenever an instance dies with connections open). A cap of 20
 * on three instances lets a client hold up to 60 connections in all. The counters of
 * {@link ClientRateLimiter} are this instance's.
 *
 * <p>A connection refused by the local cap never reaches Redis; one refused by the shared bucket
 * gives its local slot back. Buckets are created full, refill as in {@link LocalRateLimiter}, and
 * expire from Redis once they would be full again. The time of the buckets is each instance's
 * wall clock ({@link Builder#wallClock}), so instances should run NTP.
 *
 * <h2>The connection to Redis, and who closes it</h2>
 * Given a {@link Builder#redisUri URI}, the limiter opens its own Lettuce client, threads and
 * connection, and {@link #close()} closes all of them. Given the application's own
 * {@link Builder#connection connection}, the limiter only sends commands on it: it never changes
 * its options and never closes it, not even in {@link #close()}; the application closes it after
 * the limiter.
 *
 * <h2>When Redis cannot be reached</h2>
 * A command that fails (refused, reset, disconnected) or does not answer within
 * {@link Builder#commandTimeout} follows the {@link FailureMode}. The first failure after a
 * success logs one WARN line, the first success after failures one INFO line; every failure is
 * counted ({@link #redisFailures()}). A connection the limiter opened reconnects by itself,
 * retrying at least once a second, and limiting resumes with its first answer.
 *
 * <h2>Threading</h2>
 * Thread-safe. {@code acquire} never blocks: with a rate limit it returns a stage that Redis's
 * answer completes, on a thread of the Redis client. Clients without a rate limit are decided
 * locally, at once.
 */
public sealed interface RedisRateLimiter extends ClientRateLimiter, AutoCloseable
    permits LettuceRateLimiter {

  /** Returns a new builder; {@link Builder#redisUri} or {@link Builder#connection} must be set. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Replaces the limits of this instance while running, as {@link LocalRateLimiter#updateLimits}
   * does. A client whose limit is unchanged keeps its shared bucket; a changed limit reaches the
   * shared bucket with that client's next connection through this instance, keeping the tokens it
   * had (capped at the new burst). Instances that still have the old limit then use the new one
   * too: the most recently changed limit wins, by this instance's {@link Builder#wallClock}.
   *
   * @param limits the new limits
   * @throws NullPointerException if {@code limits} is null
   */
  @Override
  void updateLimits(ClientLimits limits);

  /** Returns whether the last Redis command answered (true before the first command). */
  boolean redisAvailable();

  /** Returns how many decisions could not reach Redis since this limiter was built. */
  long redisFailures();

  /**
   * Stops using Redis; later decisions fail as if Redis were unreachable. Closes the connection,
   * client and threads the limiter opened from a {@link Builder#redisUri URI}; a connection the
   * application {@link Builder#connection handed in} stays open.
   */
  @Override
  void close();

  /**
   * Builds a {@link RedisRateLimiter}: the settings every {@link ClientRateLimiter} shares (the
   * limits; the clock, idle time and bound of the local state), and where Redis is. Each setter
   * checks its value at once and throws {@link InvalidSettingException} naming the setting. Not
   * thread-safe.
   */
  final class Builder extends ClientRateLimiterBuilder<Builder> {

    private RedisURI redisUri;
    private StatefulRedisConnection<byte[], byte[]> connection;
    private String keyPrefix = Defaults.RATE_LIMIT_REDIS_KEY_PREFIX;
    private FailureMode failureMode =
        Defaults.RATE_LIMIT_REDIS_FAIL_OPEN ? FailureMode.FAIL_OPEN : FailureMode.FAIL_CLOSED;
    private Duration commandTimeout = Defaults.RATE_LIMIT_REDIS_COMMAND_TIMEOUT;
    private Clock wallClock = Clock.systemUTC();

    private Builder() {}

    /**
     * Sets where Redis is, as Lettuce reads it: {@code redis://host:port/db},
     * {@code rediss://...} for TLS, with a password as {@code redis://:secret@host}. The limiter
     * opens its own client and connection to it and closes them in {@link #close()}. Replaces a
     * {@link #connection} set before.
     *
     * @param redisUri the URI
     * @return this builder
     * @throws NullPointerException if {@code redisUri} is null
     * @throws InvalidSettingException if it is not a Redis URI, with setting {@code "redisUri"}
     */
    public Builder redisUri(String redisUri) {
      Objects.requireNonNull(redisUri, "redisUri");
      try {
        this.redisUri = RedisURI.create(redisUri);
      } catch (RuntimeException e) {
        throw new InvalidSettingException("redisUri", redisUri,
            "redisUri must be a redis:// or rediss:// URI but was " + redisUri, e);
      }
      this.connection = null;
      return this;
    }

    /**
     * Uses the application's own connection instead of opening one, as Bucket4j's Lettuce
     * integration does: open it with {@link ByteArrayCodec}, for example
     * {@code redisClient.connect(ByteArrayCodec.INSTANCE)}. The limiter neither changes its
     * options nor closes it; the application closes it (and its client) after closing the
     * limiter. Replaces a {@link #redisUri} set before.
     *
     * <p>What happens during an outage is then the connection's: Lettuce's default queues
     * commands while disconnected, so each decision waits up to {@link #commandTimeout} before it
     * follows the failure mode; {@link ClientOptions.DisconnectedBehavior#REJECT_COMMANDS} (what
     * the limiter sets on its own connections) makes it fail at once.
     *
     * @param connection an open connection with byte-array keys and values
     * @return this builder
     * @throws NullPointerException if {@code connection} is null
     */
    public Builder connection(StatefulRedisConnection<byte[], byte[]> connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
      this.redisUri = null;
      return this;
    }

    /**
     * Sets the prefix of the buckets' keys; {@link Defaults#RATE_LIMIT_REDIS_KEY_PREFIX}
     * ({@code "lb4j:ratelimit:"}) by default. Instances share buckets exactly when they share
     * Redis and prefix.
     *
     * @param keyPrefix not empty
     * @return this builder
     * @throws NullPointerException if {@code keyPrefix} is null
     * @throws InvalidSettingException if empty, with setting {@code "keyPrefix"}
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      requireArgument(!keyPrefix.isEmpty(), "keyPrefix", keyPrefix,
          "must not be empty but was \"\"");
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * Sets what happens while Redis cannot be reached; {@link FailureMode#FAIL_OPEN} by default
     * ({@link Defaults#RATE_LIMIT_REDIS_FAIL_OPEN}).
     *
     * @param failureMode open or closed
     * @return this builder
     * @throws NullPointerException if {@code failureMode} is null
     */
    public Builder failureMode(FailureMode failureMode) {
      this.failureMode = Objects.requireNonNull(failureMode, "failureMode");
      return this;
    }

    /**
     * Sets how long one decision may wait for Redis before it counts as a failure;
     * {@link Defaults#RATE_LIMIT_REDIS_COMMAND_TIMEOUT} (250 ms) by default. A decision takes two
     * or three round trips. Connecting a limiter's own connection waits at least a second.
     *
     * @param commandTimeout positive
     * @return this builder
     * @throws NullPointerException if {@code commandTimeout} is null
     * @throws InvalidSettingException if not positive, with setting {@code "commandTimeout"}
     */
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = requirePositive(commandTimeout, "commandTimeout");
      return this;
    }

    /**
     * Sets the wall clock of the shared buckets and of the versions of changed limits;
     * {@link Clock#systemUTC()} by default. Instances sharing a Redis must agree on the time (NTP);
     * tests pass a clock they move. Its time zone is not used.
     *
     * @param wallClock the clock; must be thread-safe
     * @return this builder
     * @throws NullPointerException if {@code wallClock} is null
     */
    public Builder wallClock(Clock wallClock) {
      this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
      return this;
    }

    /**
     * Returns a new limiter. With a {@link #redisUri}, waits up to about a second (or the command
     * timeout, if longer) to connect to Redis; if Redis cannot be reached, returns anyway, logs
     * it, follows the failure mode and keeps trying to connect.
     *
     * @throws IllegalStateException if neither a Redis URI nor a connection was set
     */
    public RedisRateLimiter build() {
      BucketStore store;
      if (connection != null) {
        store = new GivenConnection(connection, commandTimeout, wallClock);
      } else if (redisUri != null) {
        store = new OwnedConnection(redisUri, commandTimeout, wallClock, nanoClock());
      } else {
        throw new IllegalStateException("redisUri must be set");
      }
      ClientLimits limits = clientLimits();
      LocalRateLimiter caps = buildLocal(limits.map(ClientLimit::withoutRate));
      return new LettuceRateLimiter(store, keyPrefix, failureMode, limits, caps, wallClock,
          nanoClock(), expireAfterIdle(), maximumClients());
    }
  }
}
