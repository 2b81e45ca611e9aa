package io.lb4j.bench.tls;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@link RevocationCheckBenchmark}'s operations timed by the CPU time of the measuring thread
 * instead of the wall clock, for a machine shared with other work, where JMH's wall-clock figures
 * mostly measure how often the thread was descheduled. Each operation runs in batches, the two
 * list settings alternating batch by batch (so drift in the machine's state hits both alike),
 * after a warm-up of every operation; it prints the median and the quartiles of the CPU time per
 * operation over the batches.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.tls.RevocationCpuMain [batches, default 40]
 * }</pre>
 *
 * <p>CPU time still includes what other processes cost this thread through shared caches, so
 * these are upper bounds of the cost on an idle machine.
 */
public final class RevocationCpuMain {

  private static final long BATCH_NANOS = 100_000_000L;
  private static final long WARMUP_NANOS = 3_000_000_000L;

  private RevocationCpuMain() {}

  /** Runs the measurement and prints a table. */
  public static void main(String[] argv) throws Exception {
    int batches = argv.length > 0 ? Integer.parseInt(argv[0]) : 40;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, RevocationCheckBenchmark> states = new LinkedHashMap<>();
    for (String crl : List.of("none", "100k")) {
      RevocationCheckBenchmark state = new RevocationCheckBenchmark();
      state.crl = crl;
      state.setUp();
      states.put(crl, state);
    }
    try {
      System.out.printf(Locale.ROOT, "%-11s %-5s %12s %12s %12s  (CPU ns per operation, %d batches)%n",
          "operation", "crl", "median", "q1", "q3", batches);
      for (String operation : List.of("check", "parseOnly", "lookupOnly", "pkixVerify")) {
        Map<String, Callable<?>> ops = new LinkedHashMap<>();
        for (Map.Entry<String, RevocationCheckBenchmark> e : states.entrySet()) {
          ops.put(e.getKey(), operation(operation, e.getValue()));
        }
        for (Callable<?> op : ops.values()) {
          long end = System.nanoTime() + WARMUP_NANOS;
          while (System.nanoTime() < end) {
            op.call();
          }
        }
        Map<String, List<Double>> perOp = new LinkedHashMap<>();
        ops.keySet().forEach(k -> perOp.put(k, new ArrayList<>()));
        for (int b = 0; b < batches; b++) {
          for (Map.Entry<String, Callable<?>> e : ops.entrySet()) {
            perOp.get(e.getKey()).add(batch(threads, e.getValue()));
          }
        }
        for (Map.Entry<String, List<Double>> e : perOp.entrySet()) {
          double[] sorted = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
          System.out.printf(Locale.ROOT, "%-11s %-5s %12.1f %12.1f %12.1f%n", operation, e.getKey(),
              quantile(sorted, 0.5), quantile(sorted, 0.25), quantile(sorted, 0.75));
        }
      }
    } finally {
      for (RevocationCheckBenchmark state : states.values()) {
        state.tearDown();
      }
    }
  }

  private static Callable<?> operation(String name, RevocationCheckBenchmark state) {
    return switch (name) {
      case "check" -> state::check;
      case "parseOnly" -> state::parseOnly;
      case "lookupOnly" -> state::lookupOnly;
      case "pkixVerify" -> state::pkixVerify;
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** Runs {@code op} for about {@link #BATCH_NANOS} of CPU time; returns CPU ns per call. */
  private static double batch(ThreadMXBean threads, Callable<?> op) throws Exception {
    long calls = 0;
    Object sink = null;
    long start = threads.getCurrentThreadCpuTime();
    long now = start;
    while (now - start < BATCH_NANOS) {
      for (int i = 0; i < 64; i++) {
        sink = op.call();
      }
      calls += 64;
      now = threads.getCurrentThreadCpuTime();
    }
    if (sink == RevocationCpuMain.class) {
      System.out.println("unreachable");
    }
    return (double) (now - start) / calls;
  }

  private static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)));
    return sorted[index];
  }
}
