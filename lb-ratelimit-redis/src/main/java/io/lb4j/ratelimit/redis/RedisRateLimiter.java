package io.lb4j.ratelimit.redis;

import io.lb4j.api.RateLimiter;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

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
 * on three instances lets a client hold up to 60 connections in all.
 *
 * <p>A connection refused by the local cap never reaches Redis; one refused by the shared bucket
 * gives its local slot back. Buckets are created full, refill as in {@link LocalRateLimiter}, and
 * expire from Redis once they would be full again. The time of the buckets is each instance's
 * wall clock, so instances should run NTP.
 *
 * <h2>When Redis cannot be reached</h2>
 * A command that fails (refused, reset, disconnected) or does not answer within
 * {@link Builder#commandTimeout} follows the {@link FailureMode}. The first failure after a
 * success logs one WARN line, the first success after failures one INFO line; every failure is
 * counted ({@link #redisFailures()}). The Redis client reconnects by itself, retrying at least
 * once a second, and limiting resumes with its first answer.
 *
 * <h2>Threading</h2>
 * Thread-safe. {@code acquire} never blocks: with a rate limit it returns a stage that Redis's
 * answer completes, on a thread of the Redis client. Clients without a rate limit are decided
 * locally, at once.
 */
public sealed interface RedisRateLimiter extends RateLimiter, AutoCloseable permits LettuceRateLimiter {

  /** The key prefix when the builder is not told. */
  String DEFAULT_KEY_PREFIX = "lb4j:ratelimit:";

  /** How long one decision may wait for Redis when the builder is not told. */
  Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(250);

  /** Returns a new builder; {@link Builder#redisUri} must be set. */
  static Builder builder() {
    return new Builder();
  }

  /** Returns the limits in force. */
  ClientLimits limits();

  /**
   * Replaces the limits of this instance while running, as {@link LocalRateLimiter#updateLimits}
   * does. A client whose limit is unchanged keeps its shared bucket; a changed limit reaches the
   * shared bucket with that client's next connection through this instance, keeping the tokens it
   * had (capped at the new burst). Instances that still have the old limit then use the new one
   * too: the most recently changed limit wins.
   *
   * @param limits the new limits
   * @throws NullPointerException if {@code limits} is null
   */
  void updateLimits(ClientLimits limits);

  /** Returns whether the last Redis command answered (true before the first command). */
  boolean redisAvailable();

  /** Returns how many decisions could not reach Redis since this limiter was built. */
  long redisFailures();

  /** Returns how many connections the shared token bucket refused through this instance. */
  long rateRefusals();

  /** Returns how many connections this instance's concurrency cap refused. */
  long concurrencyRefusals();

  /** Returns how many clients this instance's concurrency caps remember; see {@link LocalRateLimiter#retainedClients()}. */
  long retainedClients();

  /**
   * Returns how many admitted connections of this client are open through this instance.
   *
   * @param commonName the client's CN
   * @return the count, never negative
   */
  int connectionsInUse(String commonName);

  /** Closes the connection to Redis and the client's threads. Later decisions fail as if Redis were unreachable. */
  @Override
  void close();

  /**
   * Builds a {@link RedisRateLimiter}. Each setter checks its value at once. Not thread-safe.
   */
  final class Builder {

    private RedisURI redisUri;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private FailureMode failureMode = FailureMode.FAIL_OPEN;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private ClientLimit defaults = ClientLimit.unlimited();
    private final Map<String, ClientLimit> overrides = new HashMap<>();
    private final LocalRateLimiter.Builder caps = LocalRateLimiter.builder();
    private LongSupplier nanoClock = System::nanoTime;
    private Duration expireAfterIdle = LocalRateLimiter.DEFAULT_EXPIRE_AFTER_IDLE;
    private long maximumClients = LocalRateLimiter.DEFAULT_MAXIMUM_CLIENTS;

    private Builder() {}

    /**
     * Sets where Redis is, as Lettuce reads it: {@code redis://host:port/db},
     * {@code rediss://...} for TLS, with a password as {@code redis://:secret@host}. Required.
     *
     * @param redisUri the URI
     * @return this builder
     * @throws IllegalArgumentException if it is not a Redis URI
     */
    public Builder redisUri(String redisUri) {
      Objects.requireNonNull(redisUri, "redisUri");
      try {
        this.redisUri = RedisURI.create(redisUri);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "redisUri must be a redis:// or rediss:// URI but was " + redisUri, e);
      }
      return this;
    }

    /**
     * Sets the prefix of the buckets' keys; {@value RedisRateLimiter#DEFAULT_KEY_PREFIX} by
     * default. Instances share buckets exactly when they share Redis and prefix.
     *
     * @param keyPrefix not empty
     * @return this builder
     * @throws IllegalArgumentException if empty
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.isEmpty()) {
        throw new IllegalArgumentException("keyPrefix must not be empty but was \"\"");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * Sets what happens while Redis cannot be reached; {@link FailureMode#FAIL_OPEN} by default.
     *
     * @param failureMode open or closed
     * @return this builder
     */
    public Builder failureMode(FailureMode failureMode) {
      this.failureMode = Objects.requireNonNull(failureMode, "failureMode");
      return this;
    }

    /**
     * Sets how long one decision may wait for Redis before it counts as a failure; 250 ms by
     * default. A decision takes two or three round trips. Connecting waits at least a second.
     *
     * @param commandTimeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder commandTimeout(Duration commandTimeout) {
      Objects.requireNonNull(commandTimeout, "commandTimeout");
      if (commandTimeout.isNegative() || commandTimeout.isZero()) {
        throw new IllegalArgumentException("commandTimeout must be positive but was " + commandTimeout);
      }
      this.commandTimeout = commandTimeout;
      return this;
    }

    /**
     * Sets the limit of every client without an override; unlimited by default.
     *
     * @param limit the default limit
     * @return this builder
     */
    public Builder defaults(ClientLimit limit) {
      this.defaults = Objects.requireNonNull(limit, "defaults");
      return this;
    }

    /**
     * Sets the whole limit of one client, replacing the default for it.
     *
     * @param commonName the client's certificate CN
     * @param limit its limit
     * @return this builder
     */
    public Builder client(String commonName, ClientLimit limit) {
      Objects.requireNonNull(commonName, "commonName");
      overrides.put(commonName, Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /**
     * Sets the default and all overrides at once, replacing what was set before.
     *
     * @param limits the limits
     * @return this builder
     */
    public Builder limits(ClientLimits limits) {
      Objects.requireNonNull(limits, "limits");
      this.defaults = limits.defaults();
      this.overrides.clear();
      this.overrides.putAll(limits.overrides());
      return this;
    }

    /**
     * Sets the clock of the local state's idle expiry; see
     * {@link LocalRateLimiter.Builder#nanoClock}. The shared buckets use the wall clock.
     *
     * @param nanoClock the clock
     * @return this builder
     */
    public Builder nanoClock(LongSupplier nanoClock) {
      caps.nanoClock(nanoClock);
      this.nanoClock = nanoClock;
      return this;
    }

    /**
     * Sets how long an idle client's local state is kept; see
     * {@link LocalRateLimiter.Builder#expireAfterIdle}.
     *
     * @param expireAfterIdle positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder expireAfterIdle(Duration expireAfterIdle) {
      caps.expireAfterIdle(expireAfterIdle);
      this.expireAfterIdle = expireAfterIdle;
      return this;
    }

    /**
     * Sets how many idle clients' local state is kept at most; see
     * {@link LocalRateLimiter.Builder#maximumClients}.
     *
     * @param maximumClients positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maximumClients(long maximumClients) {
      caps.maximumClients(maximumClients);
      this.maximumClients = maximumClients;
      return this;
    }

    /**
     * Returns a new limiter. Waits up to about a second to connect to Redis; if Redis cannot be
     * reached, returns anyway, logs it, follows the failure mode and keeps trying to connect.
     *
     * @throws IllegalStateException if no Redis URI was set
     */
    public RedisRateLimiter build() {
      if (redisUri == null) {
        throw new IllegalStateException("redisUri must be set");
      }
      ClientLimits limits = new ClientLimits(defaults, overrides);
      LocalRateLimiter localCaps = caps.limits(limits.map(ClientLimit::withoutRate)).build();
      return new LettuceRateLimiter(redisUri, keyPrefix, failureMode, commandTimeout, limits,
          localCaps, nanoClock, expireAfterIdle, maximumClients);
    }
  }
}
