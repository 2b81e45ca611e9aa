package io.lb4j.ratelimit.redis;

import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Decisions for one client on one limiter, in a loop on a thread of its own, each admitted
 * connection closed at once, until stopped or for at most a minute; counts the outcomes.
 */
final class DecisionLoad implements AutoCloseable {

  private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final RedisRateLimiter limiter;
  private final String client;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private final Map<RefusalReason, Integer> refusals = new EnumMap<>(RefusalReason.class);
  private int admitted;

  DecisionLoad(RedisRateLimiter limiter, String client) {
    this.limiter = limiter;
    this.client = client;
    this.thread = new Thread(this::run, "decision-load-" + client);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long deadline = System.nanoTime() + MAX_NANOS;
    while (!stop.get() && System.nanoTime() - deadline < 0) {
      Decision d = Decisions.acquire(limiter, client);
      synchronized (this) {
        if (d instanceof Refuse r) {
          refusals.merge(r.reason(), 1, Integer::sum);
        } else {
          admitted++;
        }
      }
      if (d.admitted()) {
        Decisions.release(limiter, client);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  synchronized int admitted() {
    return admitted;
  }

  synchronized Map<RefusalReason, Integer> refusals() {
    return Map.copyOf(refusals);
  }

  /** Stops the loop and waits for its last decision. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(Duration.ofSeconds(30).toMillis());
  }
}
