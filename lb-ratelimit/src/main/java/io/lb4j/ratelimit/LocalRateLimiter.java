package io.lb4j.ratelimit;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.RateLimiter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A {@link RateLimiter} that keeps, in this process, a token bucket on new connections and a count
 * of open connections for each client.
 *
 * <pre>{@code
 * LocalRateLimiter limiter = LocalRateLimiter.builder()
 *     .defaults(ClientLimit.rate(5, 10).withMaxConcurrent(20))
 *     .client("alice", ClientLimit.rate(50, 100))
 *     .build();
 * // on a configuration reload, while connections are open:
 * limiter.updateLimits(ClientLimits.of(ClientLimit.rate(10, 20)));
 * }</pre>
 *
 * <h2>Semantics</h2>
 * Clients are keyed by {@link ClientIdentity#commonName()}; the upstream is not part of the key,
 * so a client's limits hold across all upstreams together. Identities without a CN share the key
 * {@code ""}. See {@link ClientLimits} for how overrides relate to the default, and
 * {@link ClientLimit} for what each limit means.
 *
 * <p>A connection is admitted when both limits admit it. The cap is checked first; a connection
 * refused by either limit takes neither a token nor a slot. Refusals carry reason
 * {@link io.lb4j.api.RefusalReason#RATE_LIMITED} and a detail naming the limit
 * ({@code "rate limit 5/s burst 10 exceeded"}, {@code "concurrent connection limit 3 reached"}); a
 * rate refusal carries the time until a token is back as its retry-after.
 *
 * <p>Every admitted {@link #acquire} must be matched by exactly one {@link #release}. A release
 * that matches no admitted acquire is ignored and never drives a count below zero.
 *
 * <h2>Memory</h2>
 * A client's state is forgotten once it has had no open connection and no new one for
 * {@link Builder#expireAfterIdle} (or longer, if its bucket takes longer to refill, so that
 * forgetting never hands out a burst early). A client with open connections is never forgotten,
 * so its count stays right. At most {@link Builder#maximumClients} idle clients are kept; beyond
 * that the least valuable idle ones are forgotten early, which can only give them a fresh burst.
 *
 * <h2>Threading</h2>
 * Thread-safe. {@code acquire} and {@code release} never block and return completed stages;
 * {@code acquire} returns {@link RateLimiter#ADMITTED} when it admits.
 */
public sealed interface LocalRateLimiter extends RateLimiter permits PerClientRateLimiter {

  /** How long an idle client is remembered when the builder is not told. */
  Duration DEFAULT_EXPIRE_AFTER_IDLE = Duration.ofMinutes(10);

  /** How many idle clients are remembered at most when the builder is not told. */
  long DEFAULT_MAXIMUM_CLIENTS = 100_000;

  /** Returns a new builder; by default nobody is limited. */
  static Builder builder() {
    return new Builder();
  }

  /** Returns the limits in force. */
  ClientLimits limits();

  /**
   * Replaces the limits while running. Open connections stay open and keep their slots. A client
   * whose limit is unchanged keeps its bucket as it is; a client whose limit changed keeps the
   * tokens it has (capped at the new burst) and is measured against the new limit from its next
   * connection on.
   *
   * @param limits the new limits
   * @throws NullPointerException if {@code limits} is null
   */
  void updateLimits(ClientLimits limits);

  /**
   * Returns how many clients are remembered right now, after forgetting those that expired. Does
   * the cache's pending maintenance on the calling thread: meant for metrics, not the hot path.
   */
  long retainedClients();

  /** Returns how many connections the token bucket refused since this limiter was built. */
  long rateRefusals();

  /** Returns how many connections the concurrency cap refused since this limiter was built. */
  long concurrencyRefusals();

  /**
   * Returns how many admitted connections of this client are open, 0 for a client that is not
   * remembered. Does not count as activity of the client.
   *
   * @param commonName the client's CN
   * @return the count, never negative
   */
  int connectionsInUse(String commonName);

  /**
   * Builds a {@link LocalRateLimiter}. Each setter checks its value at once. Not thread-safe.
   */
  final class Builder {

    private ClientLimit defaults = ClientLimit.unlimited();
    private final Map<String, ClientLimit> overrides = new HashMap<>();
    private LongSupplier nanoClock = System::nanoTime;
    private Duration expireAfterIdle = DEFAULT_EXPIRE_AFTER_IDLE;
    private long maximumClients = DEFAULT_MAXIMUM_CLIENTS;

    private Builder() {}

    /**
     * Sets the limit of every client without an override; {@link ClientLimit#unlimited()} by
     * default.
     *
     * @param limit the default limit
     * @return this builder
     */
    public Builder defaults(ClientLimit limit) {
      this.defaults = Objects.requireNonNull(limit, "defaults");
      return this;
    }

    /**
     * Sets the whole limit of one client, replacing the default for it (no field is inherited).
     *
     * @param commonName the client's certificate CN, exactly as in the certificate
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
     * Sets the time source of the buckets and of idle expiry, in nanoseconds with an arbitrary
     * origin like {@link System#nanoTime()} (the default). Tests pass a clock they advance.
     *
     * @param nanoClock the clock; must be thread-safe and never go backwards
     * @return this builder
     */
    public Builder nanoClock(LongSupplier nanoClock) {
      this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
      return this;
    }

    /**
     * Sets how long a client with no open connection and no new one is remembered; 10 minutes by
     * default.
     *
     * @param expireAfterIdle positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder expireAfterIdle(Duration expireAfterIdle) {
      Objects.requireNonNull(expireAfterIdle, "expireAfterIdle");
      if (expireAfterIdle.isNegative() || expireAfterIdle.isZero()) {
        throw new IllegalArgumentException("expireAfterIdle must be positive but was " + expireAfterIdle);
      }
      this.expireAfterIdle = expireAfterIdle;
      return this;
    }

    /**
     * Sets how many idle clients are remembered at most; {@value LocalRateLimiter#DEFAULT_MAXIMUM_CLIENTS}
     * by default. Clients with open connections are kept on top of these.
     *
     * @param maximumClients positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maximumClients(long maximumClients) {
      if (maximumClients <= 0) {
        throw new IllegalArgumentException("maximumClients must be positive but was " + maximumClients);
      }
      this.maximumClients = maximumClients;
      return this;
    }

    /** Returns a new limiter with these settings; the builder may be used again. */
    public LocalRateLimiter build() {
      return new PerClientRateLimiter(
          new ClientLimits(defaults, overrides), nanoClock, expireAfterIdle, maximumClients);
    }
  }
}
