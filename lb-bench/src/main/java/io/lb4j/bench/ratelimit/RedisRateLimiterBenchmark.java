package io.lb4j.bench.ratelimit;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.redis.RedisRateLimiter;
import io.lb4j.testkit.redis.RedisNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Admit decisions per second of the Redis-backed limiter against a redis-server on loopback:
 * each operation asks for a connection, waits for Redis's answer, and releases it. With one thread
 * there is one decision in flight at a time (latency-bound); with eight, eight are in flight.
 * {@code clients} is how many distinct clients are taken in turn: with 1, concurrent decisions of
 * the one client are merged into one compare-and-swap by Bucket4j's batching.
 *
 * <p>Starts {@code redis-server} from PATH on an ephemeral port, or uses
 * {@code -Dlb4j.bench.redisUri=redis://host:port} when given.
 *
 * <pre>{@code
 * java -jar lb-bench/target/lb-bench.jar RedisRateLimiter -f 1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RedisRateLimiterBenchmark {

  @Param({"1", "1000"})
  public int clients;

  private RedisNode redis;
  private RedisRateLimiter limiter;
  private ClientIdentity[] identities;

  @Setup(Level.Trial)
  public void setUp() {
    String uri = System.getProperty("lb4j.bench.redisUri");
    if (uri == null) {
      redis = RedisNode.start(RedisNode.freePort(), List.of());
      uri = redis.uri();
    }
    // A rate no benchmark reaches: every decision admits, and each one still updates Redis.
    limiter = RedisRateLimiter.builder()
        .redisUri(uri)
        .keyPrefix("lb4j:bench:" + System.nanoTime() + ":")
        .defaults(ClientLimit.rate(1e9, 1_000_000_000L))
        .commandTimeout(Duration.ofSeconds(2))
        .build();
    identities = new ClientIdentity[clients];
    for (int i = 0; i < clients; i++) {
      identities[i] = new ClientIdentity("client-" + i, List.of(), List.of(), List.of(), "", Instant.MAX);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (limiter.redisFailures() > 0) {
      System.err.println("warning: " + limiter.redisFailures() + " decisions failed to reach redis");
    }
    limiter.close();
    if (redis != null) {
      redis.close();
    }
  }

  /** Each benchmark thread walks the clients from its own starting point. */
  @State(Scope.Thread)
  public static class Cursor {
    private int next;

    @Setup
    public void setUp(RedisRateLimiterBenchmark bench) {
      next = (int) (Thread.currentThread().getId() * 7919 % bench.clients);
    }

    ClientIdentity advance(ClientIdentity[] identities) {
      ClientIdentity identity = identities[next];
      next = next + 1 == identities.length ? 0 : next + 1;
      return identity;
    }
  }

  private Decision admit(Cursor cursor) {
    ClientIdentity identity = cursor.advance(identities);
    Decision decision = limiter.acquire(identity, "api").toCompletableFuture().join();
    limiter.release(identity, "api");
    return decision;
  }

  @Benchmark
  @Threads(1)
  public Decision admitOneInFlight(Cursor cursor) {
    return admit(cursor);
  }

  @Benchmark
  @Threads(8)
  public Decision admitEightInFlight(Cursor cursor) {
    return admit(cursor);
  }
}
