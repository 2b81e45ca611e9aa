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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

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
 * certificate common name, with an override replacing the default entirely. Both limits hold for
 * the whole fleet of instances sharing a Redis (and key prefix):
 * <ul>
 *   <li>the token bucket of a client is stored under the key {@code keyPrefix + "{" + commonName +
 *       "}"}; every instance draws from it;
 *   <li>the concurrency cap counts the client's open connections on every instance: a client with
 *       {@code maxConcurrent} 10 holds at most 10 connections across all instances, exactly, while
 *       Redis answers. The counts live in a hash per client, {@code keyPrefix + "{" + commonName +
 *       "}:conc"}, one field per instance, changed by one atomic script per decision. The braces
 *       are a Cluster hash tag: a client's keys share one slot.
 * </ul>
 * The cap is checked first (this instance's own count, then the fleet's), then the bucket; a
 * connection refused by either takes neither a token nor a slot. The counters of
 * {@link ClientRateLimiter} are this instance's.
 *
 * <h2>Leases</h2>
 * Each instance holds its slots under a lease of {@link Builder#leaseTime leaseTime}, renewed three
 * times per lease while it runs. The slots of an instance that stops renewing (killed, frozen, cut
 * off from Redis) return to the fleet within the lease. An instance with a stable
 * {@link Builder#instanceId instanceId} that restarts releases what its previous run held at once;
 * with the default (a random id per run) those slots return with the lease. Closing a connection
 * gives its slot back at once.
 *
 * <p>Buckets are created full, refill as in {@link LocalRateLimiter}, and expire from Redis once
 * they would be full again. The time of the buckets is each instance's wall clock
 * ({@link Builder#wallClock}), so instances should run NTP; the leases run on Redis's clock.
 *
 * <h2>The connection to Redis, and who closes it</h2>
 * Given a {@link Builder#redisUri URI}, the limiter opens its own Lettuce client, threads and
 * connection, and {@link #close()} closes all of them. Given the application's own
 * {@link Builder#connection connection}, the limiter only sends commands on it: it never changes
 * its options and never closes it, not even in {@link #close()}; the application closes it after
 * the limiter.
 *
 * <h2>When Redis cannot be reached, or fails over</h2>
 * A command that fails (refused, reset, disconnected, a master that is gone while Sentinel
 * promotes a replica or a Cluster moves its slots) or does not answer within
 * {@link Builder#commandTimeout} follows the {@link FailureMode}: admitted (bucket and fleet cap not
 * applied, this instance's own cap still is, and the connection counts as this instance's) or
 * refused with reason {@link io.lb4j.api.RefusalReason#LIMITER_UNAVAILABLE}, never
 * {@code RATE_LIMITED}. The first failure after a success logs one WARN line, the first success
 * after failures one INFO line; every failed decision is counted ({@link #redisFailures()}). A
 * connection the limiter opened reconnects by itself, retrying at least once a second (through
 * the sentinels, or to the Cluster's new view of its slots), and limiting resumes with its first
 * answer. That first answer also rebuilds this instance's part of the fleet's counts from its own
 * open connections, so what was admitted during the outage is counted, and what Redis lost is
 * not guessed.
 *
 * <h2>An operator's view</h2>
 * {@link #state} reads a client's shared bucket without taking a token (a bucket Redis does not
 * hold is reported full, as the client would start, and is not created) and, for a client with a
 * cap, its count across the fleet ({@link io.lb4j.api.RateLimitState#fleetConnectionsHeld}) beside
 * this instance's ({@code connectionsHeld}). {@link #reset} deletes the client's shared bucket, so
 * that its next connection through any instance finds it full; the counts of its open
 * connections stay. Both wait for Redis on the calling thread (never call them from an event
 * loop) and throw {@link IllegalStateException} when it does not answer; neither counts as a
 * decision in {@link #redisFailures()}.
 *
 * <h2>Threading</h2>
 * Thread-safe. {@code acquire} and {@code release} never block: with a rate limit or a cap,
 * {@code acquire} returns a stage that Redis's answer completes, on a thread of the Redis client.
 * Clients with neither are decided locally, at once. The leases are renewed on a thread of the
 * limiter's own.
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

  /** Returns the id under which this instance holds its slots of the fleet-wide caps. */
  String instanceId();

  /**
   * Returns a client's open connections: through this instance (exact), and through the fleet as
   * Redis last told this instance, while this instance holds connections of the client (else -1).
   * Never blocks; meant for metrics.
   *
   * @param commonName the client's CN
   * @return the counts
   */
  ConnectionCounts connectionCounts(String commonName);

  /**
   * Asks Redis for a client's count across the fleet, for any client, as an admin view does.
   * Never blocks: the stage completes with Redis's answer, or with a fleet count of -1 if Redis
   * did not answer within the command timeout. Releases the slots of lapsed leases of that
   * client, as any decision on it does.
   *
   * @param commonName the client's CN
   * @return the counts
   * @throws NullPointerException if {@code commonName} is null
   */
  CompletionStage<ConnectionCounts> fetchConnectionCounts(String commonName);

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

    private RedisTarget target;
    private StatefulRedisConnection<byte[], byte[]> connection;
    private String keyPrefix = Defaults.RATE_LIMIT_REDIS_KEY_PREFIX;
    private FailureMode failureMode =
        Defaults.RATE_LIMIT_REDIS_FAIL_OPEN ? FailureMode.FAIL_OPEN : FailureMode.FAIL_CLOSED;
    private Duration commandTimeout = Defaults.RATE_LIMIT_REDIS_COMMAND_TIMEOUT;
    private Clock wallClock = Clock.systemUTC();
    private Duration leaseTime = Defaults.RATE_LIMIT_REDIS_LEASE_TIME;
    private String instanceId;

    private Builder() {}

    /**
     * Sets where Redis is, as Lettuce reads it: {@code redis://host:port/db},
     * {@code rediss://...} for TLS, with a password as {@code redis://:secret@host}; or a Sentinel
     * set that names the master, {@code redis-sentinel://h1:26379,h2:26379?sentinelMasterId=name}
     * ({@code rediss-sentinel://} for TLS, a password as {@code redis-sentinel://:secret@h1...},
     * used for the master and the sentinels). The limiter opens its own client and connection and
     * closes them in {@link #close()}. Replaces a {@link #connection} or {@link #cluster} set
     * before.
     *
     * @param redisUri the URI
     * @return this builder
     * @throws NullPointerException if {@code redisUri} is null
     * @throws InvalidSettingException if it is not a Redis URI, with setting {@code "redisUri"}
     */
    public Builder redisUri(String redisUri) {
      this.target = new RedisTarget.Single(parse(redisUri, "redisUri"));
      this.connection = null;
      return this;
    }

    /**
     * Sets the seed nodes of a Redis Cluster ({@code redis://h1:7000}, {@code rediss://...} for
     * TLS, a password as {@code redis://:secret@h1:7000}); the limiter learns the other nodes
     * from them, follows slot moves and failovers, and closes its client in {@link #close()}.
     * Replaces a {@link #redisUri} or {@link #connection} set before.
     *
     * @param seeds one or more node URIs
     * @return this builder
     * @throws NullPointerException if {@code seeds} or one of them is null
     * @throws InvalidSettingException if empty or one is not a Redis URI, with setting
     *     {@code "cluster"}
     */
    public Builder cluster(List<String> seeds) {
      Objects.requireNonNull(seeds, "cluster");
      requireArgument(!seeds.isEmpty(), "cluster", seeds, "must name at least one node but was []");
      List<RedisURI> uris = new ArrayList<>();
      for (String seed : seeds) {
        RedisURI uri = parse(Objects.requireNonNull(seed, "cluster node"), "cluster");
        requireArgument(uri.getSentinelMasterId() == null, "cluster", seed,
            "must name cluster nodes as redis:// or rediss:// but was " + seed);
        uris.add(uri);
      }
      this.target = new RedisTarget.Cluster(uris);
      this.connection = null;
      return this;
    }

    private static RedisURI parse(String uri, String setting) {
      Objects.requireNonNull(uri, setting);
      try {
        return RedisURI.create(uri);
      } catch (RuntimeException e) {
        String problem = "must be a redis://, rediss:// or redis-sentinel:// URI but was " + uri;
        throw new InvalidSettingException(setting, uri, setting + " " + problem, problem, e);
      }
    }

    /**
     * Uses the application's own connection instead of opening one, as Bucket4j's Lettuce
     * integration does: open it with {@link ByteArrayCodec}, for example
     * {@code redisClient.connect(ByteArrayCodec.INSTANCE)}. The limiter neither changes its
     * options nor closes it; the application closes it (and its client) after closing the
     * limiter. Replaces a {@link #redisUri} or {@link #cluster} set before. (A Cluster
     * connection of the application is not taken: give the seeds to {@link #cluster}.)
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
      this.target = null;
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
     * Sets how long this instance's slots of the fleet-wide caps outlive its last renewal;
     * {@link Defaults#RATE_LIMIT_REDIS_LEASE_TIME} (30 s) by default. It renews three times per
     * lease, so the slots of an instance that died return within this time, and an instance that
     * cannot reach Redis for this long loses them until it can (then puts them back).
     *
     * @param leaseTime at least one second
     * @return this builder
     * @throws NullPointerException if {@code leaseTime} is null
     * @throws InvalidSettingException if shorter than a second, with setting {@code "leaseTime"}
     */
    public Builder leaseTime(Duration leaseTime) {
      Objects.requireNonNull(leaseTime, "leaseTime");
      requireArgument(leaseTime.compareTo(Duration.ofSeconds(1)) >= 0, "leaseTime", leaseTime,
          "must be at least 1s but was " + leaseTime);
      this.leaseTime = leaseTime;
      return this;
    }

    /**
     * Sets the id under which this instance holds its slots of the fleet-wide caps; a random one
     * per run by default. Give each instance a stable, unique id (its host or pod name) so that a
     * restart releases at once what the previous run held; two running instances with the same
     * id would count as one and break the cap.
     *
     * @param instanceId not empty
     * @return this builder
     * @throws NullPointerException if {@code instanceId} is null
     * @throws InvalidSettingException if empty, with setting {@code "instanceId"}
     */
    public Builder instanceId(String instanceId) {
      Objects.requireNonNull(instanceId, "instanceId");
      requireArgument(!instanceId.isEmpty(), "instanceId", instanceId,
          "must not be empty but was \"\"");
      this.instanceId = instanceId;
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
      } else if (target != null) {
        store = new OwnedConnection(target, commandTimeout, wallClock, nanoClock());
      } else {
        throw new IllegalStateException("redisUri must be set");
      }
      ClientLimits limits = clientLimits();
      LocalRateLimiter caps = buildLocal(limits.map(ClientLimit::withoutRate));
      return new LettuceRateLimiter(store, keyPrefix, failureMode, limits, caps, wallClock,
          nanoClock(), expireAfterIdle(), maximumClients(),
          instanceId != null ? instanceId : UUID.randomUUID().toString(), leaseTime);
    }
  }
}
