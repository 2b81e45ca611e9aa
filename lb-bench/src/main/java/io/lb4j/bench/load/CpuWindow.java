package io.lb4j.bench.load;

import java.time.Instant;

/**
 * The measured stretch of a run: wall time, the target's CPU time and this load generator's own,
 * between {@link #open} and {@link #close}. The load generator's CPU tells whether the client, not
 * the target, was the limit (it shares its core with the hosts).
 */
final class CpuWindow {

  /**
   * What a closed window saw. {@code targetCpuSeconds} is NaN without a target process; {@code
   * from} and {@code to} are the window's edges on the wall clock, to match with a recording the
   * target made meanwhile (see {@link AllocationMain}).
   */
  record Span(double seconds, double targetCpuSeconds, double clientCpuSeconds, Instant from,
      Instant to) {

    double targetCores() {
      return targetCpuSeconds / seconds;
    }

    double clientCores() {
      return clientCpuSeconds / seconds;
    }
  }

  private static final TargetProcess SELF = TargetProcess.self();

  private final TargetProcess target;
  private final long startNanos;
  private final double targetStart;
  private final double clientStart;
  private final Instant from;

  private CpuWindow(TargetProcess target) {
    this.target = target;
    this.targetStart = target == null ? Double.NaN : target.cpuSeconds();
    this.clientStart = SELF.cpuSeconds();
    this.startNanos = System.nanoTime();
    this.from = Instant.now();
  }

  /** Starts a window; {@code target} may be null when no target pid was given. */
  static CpuWindow open(TargetProcess target) {
    return new CpuWindow(target);
  }

  Span close() {
    long end = System.nanoTime();
    double targetEnd = target == null ? Double.NaN : target.cpuSeconds();
    double clientEnd = SELF.cpuSeconds();
    return new Span((end - startNanos) / 1e9, targetEnd - targetStart, clientEnd - clientStart,
        from, Instant.now());
  }
}
