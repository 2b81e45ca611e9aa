package io.lb4j.reliability;

/**
 * How big the reliability suite runs: 1 in {@code ./mvnw verify} (the bounded form, minutes on a
 * 2-core machine), larger with {@code -Dlb4j.reliability.scale=10} or {@code -Preliability-long}.
 * Counts of connections, cases and streams are multiplied by it, and so are the limits of the
 * loops that run them; lb4j's own timeouts are not. Each test's overall limit is JUnit's default
 * timeout, which the build sets ({@code lb4j.reliability.timeout}: 5 minutes, 60 in the long
 * form).
 */
final class Scale {

  /** The factor, at least 1. */
  static final int FACTOR = Math.max(1, Integer.getInteger("lb4j.reliability.scale", 1));

  private Scale() {}

  /** Returns {@code bounded} times the factor. */
  static int of(int bounded) {
    return bounded * FACTOR;
  }

  /** Returns a time limit for work that grows with the factor: {@code bounded} times it. */
  static java.time.Duration time(java.time.Duration bounded) {
    return bounded.multipliedBy(FACTOR);
  }

  /** Returns {@code bounded} times the factor, but no more than {@code cap}. */
  static int of(int bounded, int cap) {
    return Math.min(cap, bounded * FACTOR);
  }
}
