package io.lb4j.bench.ratelimit;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.LocalRateLimiter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one admit decision of the local limiter, as a connection pays it: one
 * {@code acquire} (token bucket and concurrency cap, both set, both admitting) and the
 * {@code release} of its slot, for 1 client and for 100,000 distinct clients taken in turn, on one
 * thread and on two threads sharing the limiter.
 *
 * <p>{@code openPerClient} is how many connections each client already holds: with 0, every
 * decision moves the client's count off zero and back, which goes through the cache's per-key
 * compute; with 1, the slot is taken and given back with a CAS alone.
 *
 * <pre>{@code
 * java -jar lb-bench/target/lb-bench.jar LocalRateLimiter -f 1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LocalRateLimiterBenchmark {

  @Param({"1", "100000"})
  public int clients;

  @Param({"0", "1"})
  public int openPerClient;

  private LocalRateLimiter limiter;
  private ClientIdentity[] identities;

  @Setup
  public void setUp() {
    // Limits far above what a benchmark thread can reach, so every decision admits.
    limiter = LocalRateLimiter.builder()
        .defaults(ClientLimit.rate(1e9, 1_000_000_000L).withMaxConcurrent(1_000_000))
        .maximumClients(1_000_000)
        .build();
    identities = new ClientIdentity[clients];
    for (int i = 0; i < clients; i++) {
      identities[i] = new ClientIdentity("client-" + i, List.of(), List.of(), List.of(), "", Instant.MAX);
      for (int open = 0; open < openPerClient; open++) {
        limiter.acquire(identities[i], "api");
      }
    }
  }

  /** Each benchmark thread walks the clients from its own starting point. */
  @State(Scope.Thread)
  public static class Cursor {
    private int next;

    @Setup
    public void setUp(LocalRateLimiterBenchmark bench) {
      next = (int) (Thread.currentThread().getId() * 7919 % bench.clients);
    }

    ClientIdentity advance(ClientIdentity[] identities) {
      ClientIdentity identity = identities[next];
      next = next + 1 == identities.length ? 0 : next + 1;
      return identity;
    }
  }

  private CompletionStage<Decision> admit(Cursor cursor) {
    ClientIdentity identity = cursor.advance(identities);
    CompletionStage<Decision> decision = limiter.acquire(identity, "api");
    limiter.release(identity, "api");
    return decision;
  }

  @Benchmark
  @Threads(1)
  public CompletionStage<Decision> admitOneThread(Cursor cursor) {
    return admit(cursor);
  }

  @Benchmark
  @Threads(2)
  public CompletionStage<Decision> admitTwoThreads(Cursor cursor) {
    return admit(cursor);
  }
}
