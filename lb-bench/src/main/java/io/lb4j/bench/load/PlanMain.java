package io.lb4j.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
 * rate a second of {@code paced-tls13} and {@code paced-tls12}. A target is
 * {@code NAME=HOST:PORT@PID} (the pid may be left out, with its {@code @}).
 *
 * <p>For a target started after the plan ({@code compare.sh}'s {@code first-Ns}):
 * {@code --await-listen 60s} makes the plan ready its client (BoringSSL loaded, an SSL context
 * made), create the file {@code --ready-file} if given, then wait until each target accepts TCP
 * connections (a connection attempt every 2 ms, the one that succeeds closed at once), and start
 * the runs at once. Such a target may be {@code NAME=HOST:PORT@FILE}: FILE holds the pid and,
 * optionally after a space, when the process was started in microseconds since the epoch (bash's
 * {@code EPOCHREALTIME}); it is read once the target listens, and the start time adds the figure
 * {@code load start after exec}. {@code --file-under NAME} records every figure under the measure
 * NAME, named after its run ({@code up-1 throughput}).
 *
 * <p>Before each run the target's process must still be alive; if not, the plan stops with exit status 1. A run that fails is reported and the plan
 * goes on; the exit status is then 1. Usage errors exit with status 2.
 */
public final class PlanMain {

  /**
   * A named target: its address and, when known, its process; {@code pidFile} is non-null until
   * the pid of a target started after the plan has been read.
   */
  record Target(String name, InetSocketAddress address, TargetProcess process, Path pidFile,
      long execAtMicros) {}

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

  static int run(String[] argv) throws InterruptedException {
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
    Duration awaitListen = args.duration("await-listen", Duration.ZERO);
    Path readyFile = args.has("ready-file") ? Path.of(args.required("ready-file")) : null;
    String fileUnder = args.string("file-under", null);
    List<Run> runs = new ArrayList<>();
    for (String name : args.required("measures").trim().split("[\\s,]+")) {
      runs.add(Run.named(name, warmup, duration, idlePrewarm, handshakeRate));
    }
    args.rejectUnused();
    if (!args.positional().isEmpty()) {
      throw new Args.UsageException("unexpected " + args.positional());
    }

    if (!awaitListen.isZero()) {
      // Loads BoringSSL and the classes of a connection while the target starts, and reads the
      // clock's ticks a second (a getconf process) before the target's process is read.
      client.open(targets.get(0).address(), LoadClient.Tls.ANY, false).close();
      TargetProcess.self();
      try {
        if (readyFile != null) {
          Files.writeString(readyFile, "ready\n");
        }
        for (int i = 0; i < targets.size(); i++) {
          targets.set(i, awaitListening(targets.get(i), awaitListen));
        }
      } catch (IOException | IllegalStateException e) {
        System.err.println("plan: " + e.getMessage());
        return 1;
      }
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
          long startedAtMicros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
          Measurement m = run.execute(client, target.address(), target.process());
          if (target.execAtMicros() > 0) {
            m.add("load start after exec", (startedAtMicros - target.execAtMicros()) / 1e3, "ms",
                Measurement.Better.INFO);
          }
          if (fileUnder != null) {
            m = m.filedUnder(fileUnder);
          }
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

  /**
   * Waits until {@code target} accepts TCP connections: a connection refused means nothing
   * listens yet. The connection that succeeds is closed at once, before any TLS. Returns the
   * target with its process read from its pid file, if it has one.
   */
  private static Target awaitListening(Target target, Duration timeout)
      throws InterruptedException, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(target.address(), 1000);
        break;
      } catch (IOException refused) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(target.name() + " at " + target.address()
              + " accepts no connection after " + timeout.toMillis() + " ms: " + refused);
        }
        if (target.process() != null && !ProcessHandle.of(target.process().pid())
            .map(ProcessHandle::isAlive).orElse(false)) {
          throw new IllegalStateException(target.name() + " (pid " + target.process().pid()
              + ") exited before it listened");
        }
      }
      Thread.sleep(2);
    }
    if (target.pidFile() == null) {
      return target;
    }
    // Written by whoever started the target, right after it did: a moment at most.
    long fileDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!Files.isReadable(target.pidFile()) || Files.size(target.pidFile()) == 0) {
      if (System.nanoTime() > fileDeadline) {
        throw new IllegalStateException(target.name() + " listens, but " + target.pidFile()
            + " holds no pid");
      }
      Thread.sleep(2);
    }
    String[] words = Files.readString(target.pidFile()).trim().split("\\s+");
    try {
      return new Target(target.name(), target.address(),
          TargetProcess.of(Long.parseLong(words[0])), null,
          words.length > 1 ? Long.parseLong(words[1]) : 0);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(target.pidFile() + " must hold a pid and optionally the"
          + " start time in microseconds, but holds '" + String.join(" ", words) + "': "
          + e.getMessage());
    }
  }

  /** Reads {@code NAME=HOST:PORT@PID,...} (the {@code @PID} may be left out, or be a file). */
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
      String pid = at < 0 ? null : rest.substring(at + 1);
      Path pidFile = pid != null && !pid.matches("[0-9]+") ? Path.of(pid) : null;
      TargetProcess process = pid == null || pidFile != null ? null : Run.process(pid, "targets");
      if (targets.put(name, new Target(name, address, process, pidFile, 0)) != null) {
        throw new Args.UsageException("--targets names '" + name + "' twice");
      }
    }
    return new ArrayList<>(targets.values());
  }
}
