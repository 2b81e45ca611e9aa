package io.lb4j.bench.balancing;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.pool.Lease;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The cost of placing one connection with least connections: one {@link HostPool#acquire} and its
 * {@link Lease#release}, with 3, 100 and 10,000 hosts that already carry uneven load, on one
 * thread and on two threads sharing the pool.
 *
 * <p>{@code pick} is lb4j's least connections with every host at weight 1
 * ({@code leastConnections}), the same with weights 1 to 8 drawn at random
 * ({@code weightedLeastConnections}), both on the pool's load-ordered heap (O(log n)), or, for
 * comparison, the pool driven by a strategy that scans every candidate's count
 * ({@code linearScan}), which is what the heap avoids.
 *
 * <p>{@code pickAndRelease} measures how the pool's one lock scales: run it with {@code -t 1, 2,
 * 4, ...} threads (more threads than cores simulate a larger machine's contention), with no work
 * between picks (every pick contends) or with a handshake's worth of CPU ({@code -p work=25000}).
 *
 * <pre>{@code
 * java -jar lb-bench/target/lb-bench.jar 'LeastConnectionsBenchmark.(one|two)' -f 1 -wi 2 -i 3 -w 1s -r 1s
 * for t in 1 2 4 8 16 64; do
 *   java -jar lb-bench/target/lb-bench.jar LeastConnectionsBenchmark.pickAndRelease -t $t \
 *     -p hosts=100 -p pick=leastConnections -p work=0,25000 -f 1 -wi 2 -i 3 -w 1s -r 1s
 * done
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LeastConnectionsBenchmark {

  /** Connections already open per host on average before measuring. */
  private static final int LOAD_PER_HOST = 8;

  @Param({"3", "100", "10000"})
  public int hosts;

  @Param({"leastConnections", "weightedLeastConnections", "linearScan"})
  public String pick;

  /**
   * CPU spent by {@link #pickAndRelease} between the pick and the release, in {@link
   * Blackhole#consumeCPU} tokens. 25,000 is about 50 us on the build machine, less than a tenth of
   * the ~650 us of CPU a connection with a full mTLS handshake costs there (1,500 a second per
   * core), so picks come at least ten times as often per thread as in service.
   */
  @Param({"0"})
  public int work;

  private HostPool pool;
  private ConnectionInfo connection;

  /** Held so the preloaded leases stay open for the whole trial. */
  private List<Lease> load;

  @Setup
  public void setUp() {
    List<Host> list = new ArrayList<>(hosts);
    for (int i = 0; i < hosts; i++) {
      list.add(Host.of("10.1." + (i / 250) + "." + (i % 250 + 1), 7000));
    }
    Upstream.Builder upstream = Upstream.builder("bench").hosts(list);
    SplittableRandom random = new SplittableRandom(42);
    switch (pick) {
      case "linearScan" -> upstream.strategy(LeastConnectionsBenchmark::scan);
      case "weightedLeastConnections" -> list.forEach(h -> upstream.weight(h, 1 + random.nextInt(8)));
      case "leastConnections" -> { }
      default -> throw new IllegalArgumentException(
          "pick must be leastConnections, weightedLeastConnections or linearScan but was " + pick);
    }
    pool = new HostPool(upstream.build(), System::nanoTime);
    connection =
        new ConnectionInfo(
            1,
            new InetSocketAddress("127.0.0.1", 40000),
            new InetSocketAddress("127.0.0.1", 8443),
            "bench",
            ClientIdentity.ANONYMOUS);
    // Even load, then a random share released: counts spread over several values, so the order
    // has many count groups of different sizes.
    load = new ArrayList<>();
    for (int i = 0; i < hosts * LOAD_PER_HOST; i++) {
      load.add(pool.acquire(connection));
    }
    load.removeIf(lease -> {
      if (random.nextInt(10) < 4) {
        lease.release();
        return true;
      }
      return false;
    });
  }

  private static int scan(BalancingStrategy.Candidates candidates, ConnectionInfo connection) {
    int least = 0;
    int fewest = candidates.activeConnections(0);
    for (int i = 1; i < candidates.size(); i++) {
      int count = candidates.activeConnections(i);
      if (count < fewest) {
        fewest = count;
        least = i;
      }
    }
    return least;
  }

  private Host acquireAndRelease() {
    Lease lease = pool.acquire(connection);
    lease.release();
    return lease.host();
  }

  /** One thread places and ends connections. */
  @Benchmark
  @Threads(1)
  public Host oneThread() {
    return acquireAndRelease();
  }

  /** Two threads place and end connections on the same pool, contending for its lock. */
  @Benchmark
  @Threads(2)
  public Host twoThreads() {
    return acquireAndRelease();
  }

  /**
   * Places a connection, spends {@link #work} tokens of CPU holding it, and ends it; run with
   * {@code -t N} for N threads sharing the pool. The score is JMH's pick + release operations per
   * second over all threads, which is unreliable with more threads than cores; the secondary results ({@link PickCounters}) give the CPU each cost, work
   * included, the rate over all threads, and how often a pick or release blocked on the lock.
   */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public Host pickAndRelease(PickCounters counters) {
    counters.ops++;
    Lease lease = pool.acquire(connection);
    if (work > 0) {
      Blackhole.consumeCPU(work);
    }
    lease.release();
    return lease.host();
  }
}
