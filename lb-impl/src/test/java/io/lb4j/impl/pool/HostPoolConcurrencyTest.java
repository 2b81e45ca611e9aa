package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static io.lb4j.impl.pool.Pools.activeConnections;
import static io.lb4j.impl.pool.Pools.totalActiveConnections;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostPoolConcurrencyTest {

  private static final int THREADS = 8;
  private static final int PER_THREAD = 10_000;

  private final ExecutorService executor = Executors.newFixedThreadPool(THREADS + 1);
  private final List<Host> hosts = Pools.hosts(7);
  private final HostPool pool =
      new HostPool(Upstream.builder("api").hosts(hosts).build(), System::nanoTime);

  @AfterEach
  void stopThreads() throws InterruptedException {
    executor.shutdownNow();
    assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Runs {@code task} on {@code n} threads released together; returns their results. */
  private <T> List<T> onThreads(int n, Callable<T> task) throws Exception {
    CyclicBarrier start = new CyclicBarrier(n);
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(executor.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        return task.call();
      }));
    }
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      results.add(f.get(60, TimeUnit.SECONDS));
    }
    return results;
  }

  private List<Integer> counts() {
    return hosts.stream().map(h -> activeConnections(pool, h)).toList();
  }

  @Test
  void concurrentAcquisitionsOverEqualHostsLeaveCountsWithinOneOfEachOther() throws Exception {
    onThreads(THREADS, () -> Pools.acquire(pool, PER_THREAD));

    List<Integer> counts = counts();
    assertThat(counts.stream().mapToInt(Integer::intValue).sum()).isEqualTo(THREADS * PER_THREAD);
    assertThat(counts.stream().mapToInt(Integer::intValue).max().orElseThrow()
            - counts.stream().mapToInt(Integer::intValue).min().orElseThrow())
        .as("max - min of %s", counts)
        .isLessThanOrEqualTo(1);
    pool.checkInvariants();
  }

  @Test
  void concurrentAcquiresAndReleasesNeverCountBelowZeroAndEndAtZero() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger negativeSeen = new AtomicInteger();
    Future<?> watcher = executor.submit(() -> {
      while (running.get()) {
        for (HostStatus s : pool.snapshot()) {
          if (s.activeConnections() < 0) {
            negativeSeen.incrementAndGet();
          }
        }
        Thread.onSpinWait();
      }
    });
    // Leases cross threads: one thread's lease may be released by another, twice.
    ConcurrentLinkedQueue<Lease> shared = new ConcurrentLinkedQueue<>();

    onThreads(THREADS, () -> {
      SplittableRandom random = new SplittableRandom(Thread.currentThread().getId());
      List<Lease> mine = new ArrayList<>();
      for (int i = 0; i < PER_THREAD; i++) {
        int dice = random.nextInt(10);
        if (dice < 5) {
          mine.add(pool.acquire(CONNECTION));
        } else if (dice < 8 && !mine.isEmpty()) {
          Lease lease = mine.remove(random.nextInt(mine.size()));
          lease.release();
          shared.add(lease);
        } else {
          Lease other = shared.poll();
          if (other != null) {
            other.release();
          }
        }
        if (activeConnections(pool, hosts.get(i % hosts.size())) < 0) {
          negativeSeen.incrementAndGet();
        }
      }
      mine.forEach(Lease::release);
      return null;
    });
    running.set(false);
    watcher.get(10, TimeUnit.SECONDS);

    assertThat(negativeSeen).hasValue(0);
    assertThat(counts()).containsOnly(0);
    assertThat(totalActiveConnections(pool)).isZero();
    pool.checkInvariants();
  }

  @Test
  void leasesReleasedTwiceFromTwoThreadsAtOnceCountDownOnce() throws Exception {
    List<Lease> leases = Pools.acquire(pool, PER_THREAD);
    AtomicInteger turn = new AtomicInteger();

    onThreads(2, () -> {
      boolean forward = turn.getAndIncrement() == 0;
      for (int i = 0; i < leases.size(); i++) {
        leases.get(forward ? i : leases.size() - 1 - i).release();
      }
      return null;
    });

    assertThat(counts()).containsOnly(0);
    assertThat(totalActiveConnections(pool)).isZero();
    pool.checkInvariants();
  }

  @Test
  void updatesWhileConnectionsComeAndGoLoseNoCount() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    Future<?> updater = executor.submit(() -> {
      SplittableRandom random = new SplittableRandom(7);
      for (int round = 0; round < 2_000 && running.get(); round++) {
        List<Host> subset = new ArrayList<>(hosts);
        subset.removeIf(h -> random.nextInt(3) == 0);
        pool.update(Upstream.builder("api").hosts(subset).build());
      }
      pool.update(Upstream.builder("api").hosts(hosts).build());
    });

    onThreads(THREADS - 1, () -> {
      List<Lease> mine = new ArrayList<>();
      for (int i = 0; i < PER_THREAD / 2; i++) {
        Lease lease = pool.acquire(CONNECTION);
        if (lease != null) {
          mine.add(lease);
        }
        if (mine.size() > 20) {
          mine.remove(0).release();
        }
      }
      mine.forEach(Lease::release);
      return null;
    });
    running.set(false);
    updater.get(30, TimeUnit.SECONDS);

    assertThat(totalActiveConnections(pool)).isZero();
    assertThat(pool.snapshot()).extracting(HostStatus::host).containsExactlyElementsOf(hosts);
    assertThat(pool.snapshot()).allSatisfy(s -> assertThat(s.activeConnections()).isZero());
    pool.checkInvariants();
  }
}
