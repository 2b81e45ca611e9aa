package io.lb4j.bench.ratelimit;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.redis.RedisRateLimiter;
import io.lb4j.testkit.redis.RedisCluster;
import io.lb4j.testkit.redis.RedisNode;
import io.lb4j.testkit.redis.RedisSentinels;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;

/**
 * Admission latency of the Redis limiter, per decision, on a standalone Redis, through Sentinel
 * (a master, a replica, three sentinels) and on a Cluster (three masters, three replicas), side by
 * side, all on loopback: one decision in flight at a time, each connection released at once.
 * Two limits: a token bucket only, and a bucket with a fleet-wide cap (one script more per
 * decision, and one per release). Prints the median and the 99th percentile.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.ratelimit.RedisAdmissionLatency [decisions]
 * }</pre>
 */
public final class RedisAdmissionLatency {

  private static final int CLIENTS = 100;

  private RedisAdmissionLatency() {}

  /**
   * Runs the comparison.
   *
   * @param args optionally, the decisions measured per row (20,000 by default; as many again warm up)
   */
  public static void main(String[] args) {
    int decisions = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    List<String> rows = new ArrayList<>();
    try (RedisNode standalone = RedisNode.start(RedisNode.freePort(), List.of())) {
      rows.addAll(measure("standalone", b -> b.redisUri(standalone.uri()), decisions));
    }
    try (RedisSentinels sentinels = RedisSentinels.start()) {
      rows.addAll(measure("sentinel", b -> b.redisUri(sentinels.uri()), decisions));
    }
    try (RedisCluster cluster = RedisCluster.start()) {
      rows.addAll(measure("cluster", b -> b.cluster(cluster.seeds()), decisions));
    }
    System.out.println("| redis | limit | decisions | median | p99 | failures |");
    System.out.println("| --- | --- | --- | --- | --- | --- |");
    rows.forEach(System.out::println);
  }

  private static List<String> measure(
      String topology, UnaryOperator<RedisRateLimiter.Builder> where, int decisions) {
    List<String> rows = new ArrayList<>();
    // Limits no run reaches: every decision admits, and each still updates Redis.
    rows.add(row(topology, "rate", where, ClientLimit.rate(1e9, 1_000_000_000L), decisions));
    rows.add(row(topology, "rate + fleet cap", where,
        ClientLimit.rate(1e9, 1_000_000_000L).withMaxConcurrent(1_000_000), decisions));
    return rows;
  }

  private static String row(String topology, String name, UnaryOperator<RedisRateLimiter.Builder> where,
      ClientLimit limit, int decisions) {
    ClientIdentity[] clients = new ClientIdentity[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
      clients[i] = new ClientIdentity("client-" + i, List.of(), List.of(), List.of(), "", Instant.MAX);
    }
    Histogram nanos = new Histogram(3);
    try (RedisRateLimiter limiter = where.apply(RedisRateLimiter.builder())
        .keyPrefix("lb4j:bench:" + System.nanoTime() + ":")
        .defaults(limit)
        .commandTimeout(Duration.ofSeconds(2))
        .build()) {
      for (int i = 0; i < 2 * decisions; i++) {
        ClientIdentity client = clients[i % CLIENTS];
        long start = System.nanoTime();
        Decision d = limiter.acquire(client, "api").toCompletableFuture().join();
        long took = System.nanoTime() - start;
        if (d.admitted()) {
          limiter.release(client, "api");
        }
        if (i >= decisions) {
          nanos.recordValue(took);
        }
      }
      return String.format(Locale.ROOT, "| %s | %s | %,d | %,d µs | %,d µs | %d |", topology, name,
          nanos.getTotalCount(), nanos.getValueAtPercentile(50) / 1000,
          nanos.getValueAtPercentile(99) / 1000, limiter.redisFailures());
    }
  }
}
