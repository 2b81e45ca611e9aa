package io.lb4j.testkit.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A wall clock that stands still until a test moves it, for code that takes a {@link Clock}.
 *
 * <pre>{@code
 * ManualClock clock = new ManualClock(Instant.parse("2027-01-01T00:00:00Z"));
 * factory = PemTlsContextFactory.builder()...clock(clock).build();
 * clock.advance(Duration.ofDays(31));   // the revocation list is stale now
 * }</pre>
 *
 * <p>Always in UTC. Thread-safe: the time is read and moved atomically.
 */
public final class ManualClock extends Clock {

  private volatile Instant now;

  /**
   * Creates a clock that reads {@code start} until it is moved.
   *
   * @param start the first time it reads, not null
   */
  public ManualClock(Instant start) {
    this.now = Objects.requireNonNull(start, "start");
  }

  /**
   * Sets the time it reads from now on.
   *
   * @param instant the new time, not null; may be earlier than the current one
   */
  public void set(Instant instant) {
    now = Objects.requireNonNull(instant, "instant");
  }

  /**
   * Moves the time forward (or back, with a negative step).
   *
   * @param step how far, not null
   */
  public synchronized void advance(Duration step) {
    now = now.plus(Objects.requireNonNull(step, "step"));
  }

  /**
   * Returns the time it reads as nanoseconds since the epoch, for code that takes a monotonic
   * {@code LongSupplier} clock ({@code builder.nanoClock(clock::nanoTime)}).
   *
   * @return the nanoseconds; overflows past the year 2262
   */
  public long nanoTime() {
    Instant t = now;
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a manual clock has one zone, UTC");
  }
}
