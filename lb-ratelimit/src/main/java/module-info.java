/**
 * Per-client rate limits for lb4j on the JVM's heap: token buckets and concurrent-connection caps.
 * Exports {@code io.lb4j.ratelimit}, which {@code io.lb4j.ratelimit.redis} builds on.
 */
@SuppressWarnings("requires-automatic")
module io.lb4j.ratelimit {
  requires transitive io.lb4j.api;
  requires io.github.bucket4j.core;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports io.lb4j.ratelimit;
}
