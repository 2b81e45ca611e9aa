package io.lb4j.bench.soak;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads {@link Resources} at a fixed interval on a daemon thread and keeps the maximum of each
 * figure, so that a peak between two explicit readings is not missed.
 *
 * <pre>{@code
 * try (ResourceSampler sampler = ResourceSampler.start(Duration.ofMillis(100))) {
 *   // ... load
 *   Resources peak = sampler.max();
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class ResourceSampler implements AutoCloseable {

  private final ScheduledExecutorService timer;
  private volatile Resources max;

  private ResourceSampler(Duration interval) {
    this.max = Resources.now();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb4j-resource-sampler");
      t.setDaemon(true);
      return t;
    });
    long nanos = interval.toNanos();
    timer.scheduleAtFixedRate(this::sample, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Starts sampling.
   *
   * @param interval the time between two readings, positive
   * @return the running sampler
   */
  public static ResourceSampler start(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive but was " + interval);
    }
    return new ResourceSampler(interval);
  }

  /** Takes a reading now, besides the scheduled ones, and returns it. */
  public Resources sample() {
    Resources now = Resources.now();
    synchronized (this) {
      max = max.max(now);
    }
    return now;
  }

  /** Returns the largest value of each figure seen so far (figures may come from different readings). */
  public Resources max() {
    return max;
  }

  /** Stops sampling; idempotent. */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
