/**
 * Real Redis servers for tests and benchmarks, from the {@code redis-server} and {@code redis-cli}
 * binaries on the PATH (Debian's {@code redis-server} package, which {@code .ci/run} installs): one
 * server ({@link io.lb4j.testkit.redis.RedisNode}), a Cluster of three masters with a replica each
 * ({@link io.lb4j.testkit.redis.RedisCluster}), and a master, a replica and three sentinels
 * ({@link io.lb4j.testkit.redis.RedisSentinels}). Everything binds to loopback and keeps nothing
 * once closed.
 */
package io.lb4j.testkit.redis;
