package io.lb4j.impl.transport;

import java.time.Duration;

/** Durations turned into nanoseconds for lb4j's monotonic clock and its event loops' schedules. */
public final class Nanos {

  /**
   * The longest duration lb4j counts in nanoseconds: about 73 years. A clock reading plus this, and
   * the difference of two such sums, never overflow, so deadlines compare by subtraction as
   * {@link System#nanoTime} requires.
   */
  public static final long MAX = Long.MAX_VALUE / 4;

  private Nanos() {}

  /**
   * Returns {@code duration} in nanoseconds, or {@link #MAX} for anything longer, where
   * {@link Duration#toNanos} would throw instead.
   *
   * @param duration a non-negative duration
   * @return the nanoseconds, between 0 and {@link #MAX}
   * @throws NullPointerException if {@code duration} is null
   */
  public static long saturated(Duration duration) {
    return duration.compareTo(Duration.ofNanos(MAX)) >= 0 ? MAX : duration.toNanos();
  }
}
