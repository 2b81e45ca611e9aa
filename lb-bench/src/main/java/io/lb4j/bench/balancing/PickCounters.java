package io.lb4j.bench.balancing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What each thread of {@link LeastConnectionsBenchmark#pickAndRelease} did in an iteration, as JMH
 * secondary results summed over the threads and iterations. Ratios of them are what the benchmark
 * reports, and they stay meaningful with more threads than cores, where JMH's own score and any
 * time per operation mostly measure waiting for a core:
 *
 * <ul>
 *   <li>{@code cpuNanos / ops}: the CPU one operation cost, work included;
 *   <li>{@code ops / wallNanos * threads}: operations per second over all threads;
 *   <li>{@code blocked / ops}: how often an operation blocked entering a monitor (the pool's lock),
 *       as the JVM counts it ({@link java.lang.management.ThreadInfo#getBlockedCount}): contention
 *       that spinning did not resolve.
 * </ul>
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class PickCounters {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** CPU nanoseconds this thread used during the iteration. */
  public long cpuNanos;

  /** Wall nanoseconds from this thread's start of the iteration to its end. */
  public long wallNanos;

  /** Operations this thread completed during the iteration; the benchmark counts them. */
  public long ops;

  /** Times this thread blocked to enter a monitor during the iteration. */
  public long blocked;

  private long cpuStart;
  private long wallStart;
  private long blockedStart;

  @Setup(Level.Iteration)
  public void start() {
    ops = 0;
    blockedStart = blockedCount();
    wallStart = System.nanoTime();
    cpuStart = THREADS.getCurrentThreadCpuTime();
  }

  @TearDown(Level.Iteration)
  public void stop() {
    cpuNanos = THREADS.getCurrentThreadCpuTime() - cpuStart;
    wallNanos = System.nanoTime() - wallStart;
    blocked = blockedCount() - blockedStart;
  }

  private static long blockedCount() {
    return THREADS.getThreadInfo(Thread.currentThread().getId()).getBlockedCount();
  }
}
