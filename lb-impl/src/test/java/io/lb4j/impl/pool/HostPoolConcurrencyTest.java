package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static io.lb4j.impl.pool.Pools.activeConnections;
import static io.lb4j.impl.pool.Pools.totalActiveConnections;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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

  @Test
  void picksUnderRampsAndPassiveMarksTakeTheLeastLoadedAtEveryPauseAndCountsEndAtZero()
      throws Exception {
    // A clock that moves 50 us per read while the threads run and stands still at the pauses, so
    // that ramps step and marks expire during the rounds and the pauses see a fixed state.
    AtomicLong nanos = new AtomicLong();
    AtomicBoolean ticking = new AtomicBoolean(true);
    List<Host> all = Pools.hosts(7);
    Upstream.Builder settings =
        Upstream.builder("api")
            .slowStart(Duration.ofMillis(200))
            .passiveDownTime(Duration.ofMillis(20));
    for (int i = 0; i < all.size(); i++) {
      settings.weight(all.get(i), 1 + i % 4);
    }
    HostPool weighted = new HostPool(
        settings.hosts(all.subList(0, 4)).build(),
        () -> ticking.get() ? nanos.addAndGet(50_000) : nanos.get());
    List<List<Lease>> held = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      held.add(new ArrayList<>());
    }
    SplittableRandom rounds = new SplittableRandom(19);
    AtomicInteger thread = new AtomicInteger();
    int pausesWithRamps = 0;
    int pausesWithMarks = 0;
    int pausesCompared = 0;

    for (int round = 0; round < 20; round++) {
      // Hosts leave (and drain) and come back (and ramp) between rounds.
      List<Host> hosts = new ArrayList<>(all);
      hosts.remove(rounds.nextInt(hosts.size()));
      weighted.update(settings.hosts(round % 2 == 0 ? hosts : all).build());
      ticking.set(true);
      int seed = round;
      onThreads(THREADS, () -> {
        int me = thread.getAndIncrement() % THREADS;
        List<Lease> mine = held.get(me);
        SplittableRandom random = new SplittableRandom(me * 1_000L + seed);
        for (int i = 0; i < 2_000; i++) {
          int dice = random.nextInt(1_000);
          if (dice < 550) {
            Lease lease = weighted.acquire(CONNECTION);
            if (lease != null) {
              mine.add(lease);
            }
          } else if (!mine.isEmpty()) {
            Lease lease = mine.remove(random.nextInt(mine.size()));
            if (dice < 998) {
              lease.release();
            } else {
              lease.connectFailed();
            }
          }
        }
        return null;
      });
      ticking.set(false);

      weighted.checkInvariants();
      List<HostStatus> hostsNow = weighted.snapshot();
      pausesWithRamps += hostsNow.stream().anyMatch(s -> s.slowStartShare() < 1) ? 1 : 0;
      pausesWithMarks += hostsNow.stream().anyMatch(s -> !s.up()) ? 1 : 0;
      pausesCompared += assertPicksLeastLoaded(weighted) > 1 ? 1 : 0;
    }
    held.forEach(leases -> leases.forEach(Lease::release));

    // The rounds did what they are for: picks ran while hosts ramped and while hosts were marked.
    assertThat(pausesWithRamps).isPositive();
    assertThat(pausesWithMarks).isPositive();
    assertThat(pausesCompared).isGreaterThan(10);

    assertThat(weighted.snapshot())
        .allSatisfy(s -> assertThat(s.activeConnections()).as("%s", s).isZero());
    weighted.checkInvariants();
  }

  /**
   * With no pick running, the next pick goes to a host of least (count + 1) / weight; returns how
   * many hosts it was chosen among.
   */
  private static int assertPicksLeastLoaded(HostPool pool) {
    List<HostStatus> eligible =
        pool.snapshot().stream().filter(s -> s.up() && !s.draining()).toList();
    Lease lease = pool.acquire(CONNECTION);
    if (eligible.isEmpty()) {
      assertThat(lease).isNull();
      return 0;
    }
    assertThat(lease).isNotNull();
    HostStatus chosen =
        eligible.stream().filter(s -> s.host().equals(lease.host())).findFirst().orElseThrow();
    for (HostStatus other : eligible) {
      assertThat((chosen.activeConnections() + 1L) * effectiveWeight(other))
          .as("%s picked over %s", chosen, other)
          .isLessThanOrEqualTo((other.activeConnections() + 1L) * effectiveWeight(chosen));
    }
    lease.release();
    return eligible.size();
  }

  private static long effectiveWeight(HostStatus s) {
    return Math.round(s.weight() * HostEntry.WEIGHT_SCALE * s.slowStartShare());
  }

  @Test
  void hostsLeavingAndComingBackAreLoggedWithoutHoldingThePoolsLock() throws Exception {
    AtomicLong nanos = new AtomicLong();
    HostPool marked = new HostPool(
        Upstream.builder("api").hosts(hosts).passiveDownTime(Duration.ofSeconds(10)).build(),
        nanos::get);
    // slf4j-simple writes each line to System.err as it is then: while a line about a host is
    // written, another thread picks; under the pool's lock it would wait for this one.
    AtomicInteger linesAboutHosts = new AtomicInteger();
    AtomicInteger picksWhileLogging = new AtomicInteger();
    PrintStream original = System.err;
    OutputStream hook = new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
      }

      @Override
      public void write(byte[] bytes, int off, int len) {
        original.write(bytes, off, len);
        if (new String(bytes, off, len, StandardCharsets.UTF_8).contains("rotation")) {
          linesAboutHosts.incrementAndGet();
          Future<Lease> pick = executor.submit(() -> marked.acquire(CONNECTION));
          try {
            if (pick.get(5, TimeUnit.SECONDS) != null) {
              picksWhileLogging.incrementAndGet();
            }
          } catch (TimeoutException | InterruptedException | ExecutionException e) {
            // counted as a pick that did not get through
          }
        }
      }
    };
    System.setErr(new PrintStream(hook, true, StandardCharsets.UTF_8));
    try {
      marked.acquire(CONNECTION).connectFailed();
      nanos.addAndGet(Duration.ofSeconds(11).toNanos());
      assertThat(marked.acquire(CONNECTION)).isNotNull();
    } finally {
      System.setErr(original);
    }

    assertThat(linesAboutHosts).as("out of rotation, back in rotation").hasValue(2);
    assertThat(picksWhileLogging).hasValue(2);
  }
}
