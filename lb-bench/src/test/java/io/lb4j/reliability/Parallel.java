package io.lb4j.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Runs client tasks on their own threads, one thread per task up to a limit, and collects their
 * results within a bound: a task that does not finish in time fails the test instead of hanging
 * it. Threads get small stacks, so a thousand clients cost little.
 */
final class Parallel implements AutoCloseable {

  private final ExecutorService pool;
  private final List<Future<?>> started = new ArrayList<>();

  private Parallel(int threads, String name) {
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(null, r, name + "-" + n.incrementAndGet(), 256 * 1024);
      t.setDaemon(true);
      return t;
    });
  }

  /** Makes a runner with at most {@code threads} tasks running at once. */
  static Parallel threads(int threads, String name) {
    return new Parallel(threads, name);
  }

  /** Starts a task. */
  <T> Future<T> submit(Callable<T> task) {
    Future<T> f = pool.submit(task);
    started.add(f);
    return f;
  }

  /** Starts {@code count} tasks, the i-th made by {@code task.apply(i)}. */
  <T> List<Future<T>> submitAll(int count, IntFunction<Callable<T>> task) {
    List<Future<T>> futures = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      futures.add(submit(task.apply(i)));
    }
    return futures;
  }

  /**
   * Waits for every future within {@code limit} in total and returns their results in order.
   *
   * @throws AssertionError if one failed or did not finish in time
   */
  static <T> List<T> results(List<Future<T>> futures, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    List<T> results = new ArrayList<>(futures.size());
    for (int i = 0; i < futures.size(); i++) {
      try {
        results.add(futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (ExecutionException e) {
        throw new AssertionError("client task " + i + " failed", e.getCause());
      } catch (TimeoutException e) {
        throw new AssertionError("client task " + i + " of " + futures.size()
            + " did not finish within " + limit);
      }
    }
    return results;
  }

  /** Interrupts whatever still runs; the threads are daemons. */
  @Override
  public void close() {
    pool.shutdownNow();
  }
}
