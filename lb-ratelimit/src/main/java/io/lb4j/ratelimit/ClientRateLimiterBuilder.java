package io.lb4j.ratelimit;

import static io.lb4j.api.InvalidSettingException.requireArgument;
import static io.lb4j.api.InvalidSettingException.requirePositive;

import io.lb4j.api.Defaults;
import io.lb4j.api.InvalidSettingException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The settings every {@link ClientRateLimiter}'s builder shares: the limits, the clock, and how
 * much local state is kept. {@link LocalRateLimiter.Builder} adds nothing to them; a backend that
 * stores buckets elsewhere (Redis) extends this class with its storage's settings only, and builds
 * its local part with {@link #buildLocal}.
 *
 * <p>Each setter checks its value at once and throws {@link InvalidSettingException} naming the
 * setting as the setter spells it. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class ClientRateLimiterBuilder<B extends ClientRateLimiterBuilder<B>> {

  private ClientLimit defaults = ClientLimit.unlimited();
  private final Map<String, ClientLimit> overrides = new HashMap<>();
  private LongSupplier nanoClock = System::nanoTime;
  private Duration expireAfterIdle = Defaults.RATE_LIMIT_EXPIRE_AFTER_IDLE;
  private long maximumClients = Defaults.RATE_LIMIT_MAXIMUM_CLIENTS;

  /** For subclasses: the builder of a backend. */
  protected ClientRateLimiterBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /**
   * Sets the limit of every client without an override; {@link ClientLimit#unlimited()} by
   * default.
   *
   * @param limit the default limit
   * @return this builder
   * @throws NullPointerException if {@code limit} is null
   */
  public final B defaults(ClientLimit limit) {
    this.defaults = Objects.requireNonNull(limit, "defaults");
    return self();
  }

  /**
   * Sets the whole limit of one client, replacing the default for it (no field is inherited).
   *
   * @param commonName the client's certificate CN, exactly as in the certificate
   * @param limit its limit
   * @return this builder
   * @throws NullPointerException if an argument is null
   */
  public final B client(String commonName, ClientLimit limit) {
    Objects.requireNonNull(commonName, "commonName");
    overrides.put(commonName, Objects.requireNonNull(limit, "limit"));
    return self();
  }

  /**
   * Sets the default and all overrides at once, replacing what was set before.
   *
   * @param limits the limits
   * @return this builder
   * @throws NullPointerException if {@code limits} is null
   */
  public final B limits(ClientLimits limits) {
    Objects.requireNonNull(limits, "limits");
    this.defaults = limits.defaults();
    this.overrides.clear();
    this.overrides.putAll(limits.overrides());
    return self();
  }

  /**
   * Sets the time source of the local buckets and of idle expiry, in nanoseconds with an
   * arbitrary origin like {@link System#nanoTime()} (the default). Tests pass a clock they
   * advance.
   *
   * @param nanoClock the clock; must be thread-safe and never go backwards
   * @return this builder
   * @throws NullPointerException if {@code nanoClock} is null
   */
  public final B nanoClock(LongSupplier nanoClock) {
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    return self();
  }

  /**
   * Sets how long a client with no open connection and no new one is remembered;
   * {@link Defaults#RATE_LIMIT_EXPIRE_AFTER_IDLE} (10 minutes) by default.
   *
   * @param expireAfterIdle positive
   * @return this builder
   * @throws NullPointerException if {@code expireAfterIdle} is null
   * @throws InvalidSettingException if not positive, with setting {@code "expireAfterIdle"}
   */
  public final B expireAfterIdle(Duration expireAfterIdle) {
    this.expireAfterIdle = requirePositive(expireAfterIdle, "expireAfterIdle");
    return self();
  }

  /**
   * Sets how many idle clients are remembered at most;
   * {@link Defaults#RATE_LIMIT_MAXIMUM_CLIENTS} (100,000) by default. Clients with open
   * connections are kept on top of these.
   *
   * @param maximumClients positive
   * @return this builder
   * @throws InvalidSettingException if not positive, with setting {@code "maximumClients"}
   */
  public final B maximumClients(long maximumClients) {
    requireArgument(maximumClients > 0, "maximumClients", maximumClients,
        "must be positive but was " + maximumClients);
    this.maximumClients = maximumClients;
    return self();
  }

  /** Returns the limits set so far, the default and every override. */
  protected final ClientLimits clientLimits() {
    return new ClientLimits(defaults, overrides);
  }

  /** Returns the clock set by {@link #nanoClock(LongSupplier)}. */
  protected final LongSupplier nanoClock() {
    return nanoClock;
  }

  /** Returns the idle time set by {@link #expireAfterIdle(Duration)}. */
  protected final Duration expireAfterIdle() {
    return expireAfterIdle;
  }

  /** Returns the bound set by {@link #maximumClients(long)}. */
  protected final long maximumClients() {
    return maximumClients;
  }

  /**
   * Returns a new {@link LocalRateLimiter} of {@code limits}, with this builder's clock, idle
   * expiry and bound on clients. A backend that shares only the buckets builds its local
   * concurrency caps with it, passing {@code clientLimits().map(ClientLimit::withoutRate)}.
   *
   * @param limits the limits it enforces
   * @return the limiter
   */
  protected final LocalRateLimiter buildLocal(ClientLimits limits) {
    return new CaffeineRateLimiter(
        Objects.requireNonNull(limits, "limits"), nanoClock, expireAfterIdle, maximumClients);
  }
}
