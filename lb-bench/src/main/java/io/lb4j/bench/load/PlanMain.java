package io.lb4j.bench.load;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs several named measures against several targets in one process: for each measure in turn,
 * against each target in the order given (A B, A B, ...). This is one round of
 * {@code compare.sh}; in one JVM the load generator starts once and stays compiled from one run to
 * the next, instead of paying a JVM start for every run.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.PlanMain \
 *     --measures "up-1 down-1 handshakes-tls13 requests-64" \
 *     --targets lb4j=127.0.0.1:18410@4242,haproxy=127.0.0.1:18411@4343 \
 *     --cert client.pem --key client-key.pem --ca ca.pem \
 *     --warmup 1s --duration 4s --results results.tsv --round 1
 * }</pre>
 *
 * <p>Measure names are those of {@link Run#named}; {@code --handshake-rate} (300) is the offered
 * rate a second of {@code paced-tls13} and {@code paced-tls12}. A target is {@code NAME=HOST:PORT@PID} (the
 * pid may be left out, with its {@code @}). Before each run the target's process must still be
 * alive; if not, the plan stops with exit status 1. A run that fails is reported and the plan
 * goes on; the exit status is then 1. Usage errors exit with status 2.
 */
public final class PlanMain {

  /** A named target: its address and, when known, its process. */
  record Target(String name, InetSocketAddress address, TargetProcess process) {}

  private PlanMain() {}

  /** Runs the plan. */
  public static void main(String[] argv) {
    int status;
    try {
      status = run(argv);
    } catch (Args.UsageException e) {
      System.err.println("plan: " + e.getMessage());
      status = 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("plan: interrupted");
      status = 1;
    }
    System.exit(status);
  }

  private static int run(String[] argv) throws InterruptedException {
    Args args = Args.parse(argv);
    Run.Client client = Run.Client.fromOptions(args);
    List<Target> targets = targets(args.required("targets"));
    Duration warmup = args.duration("warmup", Duration.ofSeconds(1));
    Duration duration = Run.positiveDuration(args, "duration", Duration.ofSeconds(4));
    Duration idlePrewarm = args.duration("idle-prewarm", Duration.ofSeconds(2));
    double handshakeRate = args.has("handshake-rate") ? Run.positiveRate(args, "handshake-rate")
        : Run.DEFAULT_HANDSHAKE_RATE;
    Path results = args.has("results") ? Path.of(args.required("results")) : null;
    int round = Run.positive(args, "round", 1);
    List<Run> runs = new ArrayList<>();
    for (String name : args.required("measures").trim().split("[\\s,]+")) {
      runs.add(Run.named(name, warmup, duration, idlePrewarm, handshakeRate));
    }
    args.rejectUnused();
    if (!args.positional().isEmpty()) {
      throw new Args.UsageException("unexpected " + args.positional());
    }

    int failed = 0;
    for (Run run : runs) {
      for (Target target : targets) {
        if (target.process() != null && !ProcessHandle.of(target.process().pid())
            .map(ProcessHandle::isAlive).orElse(false)) {
          System.err.println("plan: " + target.name() + " (pid " + target.process().pid()
              + ") is no longer running");
          return 1;
        }
        System.out.println();
        System.out.println("== round " + round + ", " + target.name() + ", " + run.name());
        try {
          Measurement m = run.execute(client, target.address(), target.process());
          System.out.print(m.format());
          if (results != null) {
            m.append(results, target.name(), round);
          }
        } catch (RuntimeException e) {
          failed++;
          System.out.println("plan: " + run.name() + " against " + target.name() + " failed: "
              + e.getMessage());
        }
        System.out.flush();
      }
    }
    return failed == 0 ? 0 : 1;
  }

  /** Reads {@code NAME=HOST:PORT@PID,...} (the {@code @PID} may be left out). */
  static List<Target> targets(String text) {
    Map<String, Target> targets = new LinkedHashMap<>();
    for (String spec : text.split(",")) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new Args.UsageException(
            "--targets takes NAME=HOST:PORT@PID,... but got '" + spec + "'");
      }
      String name = spec.substring(0, eq);
      String rest = spec.substring(eq + 1);
      int at = rest.indexOf('@');
      InetSocketAddress address = Run.address(at < 0 ? rest : rest.substring(0, at), "targets");
      TargetProcess process = at < 0 ? null : Run.process(rest.substring(at + 1), "targets");
      if (targets.put(name, new Target(name, address, process)) != null) {
        throw new Args.UsageException("--targets names '" + name + "' twice");
      }
    }
    return List.copyOf(targets.values());
  }
}
