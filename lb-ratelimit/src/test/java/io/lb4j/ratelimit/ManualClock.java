package io.lb4j.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when a test moves it. */
final class ManualClock implements LongSupplier {

  // Not zero, so nothing can rely on the clock starting at its origin.
  private final AtomicLong nanos = new AtomicLong(7_000_000_000L);

  @Override
  public long getAsLong() {
    return nanos.get();
  }

  void advance(Duration step) {
    nanos.addAndGet(step.toNanos());
  }
}
