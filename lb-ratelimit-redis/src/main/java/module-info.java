/**
 * The rate limits of {@code io.lb4j.ratelimit} shared by several lb4j instances through Redis, on
 * Lettuce. Exports {@code io.lb4j.ratelimit.redis}.
 */
@SuppressWarnings("requires-automatic")
module io.lb4j.ratelimit.redis {
  requires transitive io.lb4j.ratelimit;
  requires io.github.bucket4j.core;
  requires io.github.bucket4j.lettuce;
  requires com.github.benmanes.caffeine;
  requires lettuce.core;
  requires org.slf4j;

  exports io.lb4j.ratelimit.redis;
}
