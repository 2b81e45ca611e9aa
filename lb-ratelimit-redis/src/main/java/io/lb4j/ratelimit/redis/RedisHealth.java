package io.lb4j.ratelimit.redis;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Redis answers, as the last command saw it. Logs each change once: WARN when an outage
 * begins, INFO when it ends, so an outage of any length costs two log lines. Thread-safe.
 */
final class RedisHealth {

  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);

  /** Where Redis is, as {@link BucketStore#where()} says it. */
  private final String where;
  private final FailureMode failureMode;
  private final AtomicBoolean available = new AtomicBoolean(true);
  private final LongAdder failures = new LongAdder();

  RedisHealth(String where, FailureMode failureMode) {
    this.where = where;
    this.failureMode = failureMode;
  }

  void failed(Throwable cause) {
    failures.increment();
    if (available.get() && available.compareAndSet(true, false)) {
      log.warn("redis {} unreachable, rate limits {} until it is back: {}",
          where, failureMode == FailureMode.FAIL_OPEN ? "fail open (admit)" : "fail closed (refuse)",
          describe(cause));
    }
  }

  /** Notes an answer; returns true for the first answer after an outage. */
  boolean answered() {
    if (!available.get() && available.compareAndSet(false, true)) {
      log.info("redis {} reachable again, rate limits are shared again", where);
      return true;
    }
    return false;
  }

  boolean available() {
    return available.get();
  }

  long failures() {
    return failures.sum();
  }

  private static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == cause ? cause.toString() : cause + " (" + root + ")";
  }
}
