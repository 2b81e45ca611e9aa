package io.lb4j.ratelimit;

import static io.lb4j.api.InvalidSettingException.requireArgument;

import io.lb4j.api.InvalidSettingException;
import java.math.BigDecimal;
import java.time.Duration;

/**
 * The limits of one client: a token bucket on new connections, a cap on concurrent ones, and a
 * bandwidth limit on the bytes of all its connections together.
 *
 * <pre>{@code
 * ClientLimit.rate(5, 10);                        // 5 new connections a second, bursts of 10
 * ClientLimit.concurrent(3);                      // at most 3 open at once, any rate
 * ClientLimit.rate(5, 10).withMaxConcurrent(3);   // both
 * ClientLimit.unlimited();                        // neither
 * ClientLimit.unlimited().withBandwidth(1_000_000, 0);   // 1 MB/s each way, bursts of 1 MB
 * }</pre>
 *
 * <p><b>Zero means "no such limit".</b> A {@code connectionsPerSecond} of 0 (with a
 * {@code burst} of 0) means the client has no rate limit; a {@code maxConcurrent} of 0 means it
 * has no concurrency cap. There is no way to express "refuse every connection" here: that is the
 * {@link io.lb4j.api.Authorizer}'s job.
 *
 * <p>The token bucket starts full: a client may open {@code burst} connections at once, then one
 * more every {@code 1 / connectionsPerSecond} seconds, and never saves up more than
 * {@code burst}.
 *
 * <p>The bandwidth limit is one token bucket per direction (bytes from the client, bytes to the
 * client), each shared by all of the client's connections: {@code bytesPerSecond} refill it, and it
 * holds {@code bytesBurst} bytes. lb4j enforces it by pausing reads (see
 * {@link io.lb4j.api.ByteBudget}); nothing is refused or dropped. A {@code bytesPerSecond} of 0
 * means no bandwidth limit.
 *
 * <p>Immutable and thread-safe.
 *
 * @param connectionsPerSecond how fast the bucket refills, in new connections per second; 0 for no
 *     rate limit, otherwise between {@value #MIN_RATE} and {@value #MAX_RATE}
 * @param burst how many tokens the bucket holds; 0 exactly when there is no rate limit
 * @param maxConcurrent how many connections the client may hold open at once; 0 for no cap
 * @param bytesPerSecond the bandwidth limit of each direction, over all of the client's
 *     connections; 0 for none, at most {@value #MAX_BYTES_PER_SECOND}
 * @param bytesBurst how many bytes each direction's bucket holds; 0 with a bandwidth limit means
 *     one second's worth ({@code bytesPerSecond}), and it is 0 without one
 */
public record ClientLimit(
    double connectionsPerSecond, long burst, int maxConcurrent, long bytesPerSecond, long bytesBurst) {

  /** The slowest rate a bucket accepts: one connection every thousand million seconds. */
  public static final double MIN_RATE = 1e-9;

  /** The fastest rate a bucket accepts: one connection every nanosecond. */
  public static final double MAX_RATE = 1e9;

  /** The highest bandwidth limit, 1 GB/s per direction: a byte bucket refills one byte a nanosecond at most. */
  public static final long MAX_BYTES_PER_SECOND = 1_000_000_000L;

  private static final ClientLimit UNLIMITED = new ClientLimit(0, 0, 0, 0, 0);
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /**
   * Checks the limits.
   *
   * @throws InvalidSettingException if a value is negative, not finite, out of range, or if
   *     {@code burst} is 0 while {@code connectionsPerSecond} is positive (or the other way round);
   *     its {@link InvalidSettingException#setting() setting} is {@code "connectionsPerSecond"},
   *     {@code "burst"} or {@code "maxConcurrent"}
   */
  public ClientLimit {
    requireArgument(Double.isFinite(connectionsPerSecond) && connectionsPerSecond >= 0,
        "connectionsPerSecond", connectionsPerSecond,
        "must be finite and not negative but was " + connectionsPerSecond);
    requireArgument(connectionsPerSecond == 0
            || (connectionsPerSecond >= MIN_RATE && connectionsPerSecond <= MAX_RATE),
        "connectionsPerSecond", connectionsPerSecond,
        "must be 0 (no rate limit) or between " + MIN_RATE + " and "
            + MAX_RATE + " but was " + connectionsPerSecond);
    requireArgument(burst >= 0, "burst", burst, "must not be negative but was " + burst);
    requireArgument(connectionsPerSecond == 0 || burst > 0, "burst", burst,
        "must be positive when connectionsPerSecond is " + connectionsPerSecond
            + " but was 0");
    requireArgument(connectionsPerSecond > 0 || burst == 0, "burst", burst,
        "must be 0 when connectionsPerSecond is 0 (no rate limit) but was " + burst);
    requireArgument(maxConcurrent >= 0, "maxConcurrent", maxConcurrent,
        "must not be negative but was " + maxConcurrent);
    requireArgument(bytesPerSecond >= 0 && bytesPerSecond <= MAX_BYTES_PER_SECOND,
        "bytesPerSecond", bytesPerSecond,
        "must be from 0 (no bandwidth limit) to " + MAX_BYTES_PER_SECOND + " but was "
            + bytesPerSecond);
    requireArgument(bytesBurst >= 0, "bytesBurst", bytesBurst,
        "must not be negative but was " + bytesBurst);
    requireArgument(bytesPerSecond > 0 || bytesBurst == 0, "bytesBurst", bytesBurst,
        "needs bytesPerSecond, which is 0 (no bandwidth limit), but was " + bytesBurst);
    if (bytesPerSecond > 0 && bytesBurst == 0) {
      bytesBurst = bytesPerSecond;
    }
  }

  /**
   * A limit without a bandwidth limit.
   *
   * @param connectionsPerSecond as in the canonical constructor
   * @param burst as in the canonical constructor
   * @param maxConcurrent as in the canonical constructor
   * @throws InvalidSettingException as the canonical constructor does
   */
  public ClientLimit(double connectionsPerSecond, long burst, int maxConcurrent) {
    this(connectionsPerSecond, burst, maxConcurrent, 0, 0);
  }

  /** Returns the limit that limits nothing: no rate limit and no concurrency cap. */
  public static ClientLimit unlimited() {
    return UNLIMITED;
  }

  /**
   * Returns a token-bucket limit with no concurrency cap.
   *
   * @param connectionsPerSecond the refill rate, between {@value #MIN_RATE} and {@value #MAX_RATE}
   * @param burst the bucket's size, positive
   * @return the limit
   * @throws InvalidSettingException if a value is out of range, naming {@code
   *     "connectionsPerSecond"} or {@code "burst"}
   */
  public static ClientLimit rate(double connectionsPerSecond, long burst) {
    requireArgument(connectionsPerSecond != 0, "connectionsPerSecond", connectionsPerSecond,
        "must be positive but was 0 (use unlimited() for no rate limit)");
    return new ClientLimit(connectionsPerSecond, burst, 0);
  }

  /**
   * Returns a concurrency cap with no rate limit.
   *
   * @param maxConcurrent how many connections may be open at once, positive
   * @return the limit
   * @throws InvalidSettingException if {@code maxConcurrent} is not positive, naming
   *     {@code "maxConcurrent"}
   */
  public static ClientLimit concurrent(int maxConcurrent) {
    requireArgument(maxConcurrent > 0, "maxConcurrent", maxConcurrent,
        "must be positive but was " + maxConcurrent + " (use unlimited() for no cap)");
    return new ClientLimit(0, 0, maxConcurrent);
  }

  /**
   * Returns this limit with another token bucket and the same concurrency cap.
   *
   * @param connectionsPerSecond the refill rate; 0 (with a burst of 0) for no rate limit
   * @param burst the bucket's size
   * @return the new limit
   * @throws InvalidSettingException as the constructor does
   */
  public ClientLimit withRate(double connectionsPerSecond, long burst) {
    return new ClientLimit(connectionsPerSecond, burst, maxConcurrent, bytesPerSecond, bytesBurst);
  }

  /**
   * Returns this limit without its token bucket on new connections, keeping the concurrency cap
   * and the bandwidth limit (the parts a shared store does not hold).
   */
  public ClientLimit withoutRate() {
    return new ClientLimit(0, 0, maxConcurrent, bytesPerSecond, bytesBurst);
  }

  /**
   * Returns this limit with another bandwidth limit, the rest unchanged.
   *
   * @param bytesPerSecond bytes per second in each direction over all the client's connections; 0
   *     for none
   * @param bytesBurst the bucket's size in bytes, 0 for one second's worth
   * @return the new limit
   * @throws InvalidSettingException if a value is negative, or a burst is given without a rate,
   *     naming {@code "bytesPerSecond"} or {@code "bytesBurst"}
   */
  public ClientLimit withBandwidth(long bytesPerSecond, long bytesBurst) {
    return new ClientLimit(connectionsPerSecond, burst, maxConcurrent, bytesPerSecond, bytesBurst);
  }

  /** Returns whether the client's bytes are limited. */
  public boolean hasBandwidthLimit() {
    return bytesPerSecond > 0;
  }

  /**
   * Returns this limit with another concurrency cap and the same token bucket.
   *
   * @param maxConcurrent the cap; 0 for none
   * @return the new limit
   * @throws InvalidSettingException if {@code maxConcurrent} is negative, naming
   *     {@code "maxConcurrent"}
   */
  public ClientLimit withMaxConcurrent(int maxConcurrent) {
    return new ClientLimit(connectionsPerSecond, burst, maxConcurrent, bytesPerSecond, bytesBurst);
  }

  /** Returns whether new connections are limited by a token bucket. */
  public boolean hasRateLimit() {
    return connectionsPerSecond > 0;
  }

  /** Returns whether open connections are capped. */
  public boolean hasConcurrencyLimit() {
    return maxConcurrent > 0;
  }

  /**
   * Returns how long an empty bucket takes to fill up again, {@link Duration#ZERO} without a rate
   * limit. Forgetting a bucket that has been idle this long loses nothing: it would be full.
   */
  public Duration timeToFill() {
    if (!hasRateLimit()) {
      return Duration.ZERO;
    }
    double nanos = burst * (NANOS_PER_SECOND / connectionsPerSecond);
    return nanos >= Long.MAX_VALUE ? Duration.ofNanos(Long.MAX_VALUE) : Duration.ofNanos((long) Math.ceil(nanos));
  }

  /**
   * Returns the rate as written for people: {@code "5/s"}, {@code "0.5/s"}; used in refusal
   * details and logs.
   */
  String rateText() {
    String number = connectionsPerSecond == Math.rint(connectionsPerSecond)
        ? Long.toString((long) connectionsPerSecond)
        : BigDecimal.valueOf(connectionsPerSecond).stripTrailingZeros().toPlainString();
    return number + "/s";
  }

  /** Returns the detail of a rate refusal, for example {@code "rate limit 5/s burst 10 exceeded"}. */
  public String rateRefusalDetail() {
    return "rate limit " + rateText() + " burst " + burst + " exceeded";
  }

  /** Returns the detail of a concurrency refusal: {@code "concurrent connection limit 3 reached"}. */
  public String concurrencyRefusalDetail() {
    return "concurrent connection limit " + maxConcurrent + " reached";
  }
}
