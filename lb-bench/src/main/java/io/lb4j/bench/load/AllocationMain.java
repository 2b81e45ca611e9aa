package io.lb4j.bench.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Heap bytes a JVM target allocates per unit of work: per request of {@code requests-N}, per MB
 * relayed of {@code up-N}, {@code down-N} and {@code echo-N}. It starts a Flight Recorder
 * recording in the target through {@code jcmd} with {@code jdk.ThreadAllocationStatistics} alone
 * (every {@code --period}, 250 ms), runs the measures against it, stops the recording, and divides
 * the bytes the target's threads allocated over each measured window ({@link JfrAllocations}) by
 * the work done in it.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.AllocationMain \
 *     --measures "requests-64 up-1" --target lb4j=127.0.0.1:18410@4242 \
 *     --cert client.pem --key client-key.pem --ca ca.pem \
 *     --warmup 1s --duration 4s --results results.tsv --round 1
 * }</pre>
 *
 * <p>Two figures a measure: the whole process, and the event-loop threads alone (names starting
 * with {@code --loop-threads}, {@code lb4j-io-} as lb4j names them). The process figure leaves out
 * the threads the recording itself runs ({@code JFR ...}, {@code Attach Listener}); they are
 * listed with the others, most bytes first. Only these figures go to {@code --results}: the runs
 * themselves, made with a recording on, are not for comparing and are only printed. With {@code
 * --keep DIR} the recording is kept there as {@code allocation.jfr}.
 *
 * <p>Exit status 0 when every figure was taken, 1 when a run or the recording failed, 2 for a
 * command line that cannot run.
 */
public final class AllocationMain {

  private static final String RECORDING = "lb4j-bench-allocation";
  private static final List<String> RECORDER_THREADS = List.of("JFR ", "Attach Listener");
  private static final int THREADS_LISTED = 8;

  private record Done(Run run, Measurement measurement) {}

  private AllocationMain() {}

  /** Runs the measures with the recording on; see the class comment. */
  public static void main(String[] argv) {
    int status;
    try {
      status = run(argv);
    } catch (Args.UsageException e) {
      System.err.println("allocation: " + e.getMessage());
      status = 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("allocation: interrupted");
      status = 1;
    } catch (IOException | RuntimeException e) {
      System.err.println("allocation: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }

  static int run(String[] argv) throws InterruptedException, IOException {
    Args args = Args.parse(argv);
    Run.Client client = Run.Client.fromOptions(args);
    List<PlanMain.Target> targets = PlanMain.targets(args.required("target"));
    if (targets.size() != 1 || targets.get(0).process() == null) {
      throw new Args.UsageException("--target takes one NAME=HOST:PORT@PID, with the pid");
    }
    PlanMain.Target target = targets.get(0);
    Duration warmup = args.duration("warmup", Duration.ofSeconds(1));
    Duration duration = Run.positiveDuration(args, "duration", Duration.ofSeconds(4));
    Duration period = Run.positiveDuration(args, "period", Duration.ofMillis(250));
    Path results = args.has("results") ? Path.of(args.required("results")) : null;
    int round = Run.positive(args, "round", 1);
    List<String> loopThreads = List.of(args.string("loop-threads", "lb4j-io-").split(","));
    String jcmd = args.string("jcmd", defaultJcmd());
    Path keep = args.has("keep") ? Path.of(args.required("keep")) : null;
    if (duration.compareTo(period.multipliedBy(3)) < 0) {
      throw new Args.UsageException("--duration " + duration + " holds too few samples of "
          + "--period " + period + ": make it three periods at least");
    }
    List<Run> runs = new ArrayList<>();
    for (String name : args.string("measures", "requests-64 up-1").trim().split("[\\s,]+")) {
      Run run = Run.named(name, warmup, duration, Duration.ZERO, Run.DEFAULT_HANDSHAKE_RATE);
      if (unit(run) == null) {
        throw new Args.UsageException("allocation per unit of work is for requests-N, up-N, "
            + "down-N and echo-N, not " + name);
      }
      runs.add(run);
    }
    args.rejectUnused();
    if (!args.positional().isEmpty()) {
      throw new Args.UsageException("unexpected " + args.positional());
    }

    Path dir = Files.createTempDirectory("lb4j-allocation");
    Path settings = dir.resolve("allocation.jfc");
    Files.writeString(settings, settings(period), StandardCharsets.UTF_8);
    Path recording = (keep == null ? dir : Files.createDirectories(keep)).resolve("allocation.jfr");
    long pid = target.process().pid();
    jcmd(jcmd, pid, "Started recording", "JFR.start", "name=" + RECORDING,
        "settings=" + settings);
    List<Done> done = new ArrayList<>();
    int failed = 0;
    try {
      for (Run run : runs) {
        System.out.println();
        System.out.println("== " + target.name() + ", " + run.name()
            + " with a Flight Recorder recording of allocations (not compared)");
        try {
          Measurement m = run.execute(client, target.address(), target.process());
          System.out.print(m.format());
          done.add(new Done(run, m));
        } catch (RuntimeException e) {
          failed++;
          System.out.println("allocation: " + run.name() + " failed: " + e.getMessage());
        }
        System.out.flush();
      }
    } finally {
      jcmd(jcmd, pid, "Stopped recording", "JFR.stop", "name=" + RECORDING,
          "filename=" + recording);
    }

    for (Done d : done) {
      try {
        Measurement m = allocation(d, recording, loopThreads);
        System.out.println();
        System.out.print(m.format());
        if (results != null) {
          m.append(results, target.name(), round);
        }
      } catch (IllegalStateException e) {
        failed++;
        System.out.println("allocation: " + d.run().name() + ": " + e.getMessage());
      }
    }
    if (keep == null) {
      Files.deleteIfExists(recording);
    }
    Files.deleteIfExists(settings);
    Files.deleteIfExists(dir);
    return failed == 0 ? 0 : 1;
  }

  /**
   * The unit of work of a measure, the figure that gives its rate and that figure's unit, or null
   * if it has none.
   */
  private static String[] unit(Run run) {
    return switch (run.kind()) {
      case "requests" -> new String[] {"request", "requests/s", "requests/s"};
      // Throughput is in MB/s: one unit a MB.
      case "up", "down", "echo" -> new String[] {"MB", "throughput", "MB/s"};
      default -> null;
    };
  }

  private static Measurement allocation(Done done, Path recording, List<String> loopThreads)
      throws IOException {
    Measurement run = done.measurement();
    CpuWindow.Span window = run.window();
    if (window == null) {
      throw new IllegalStateException("the run recorded no window");
    }
    String[] unit = unit(done.run());
    double unitsPerSecond = run.value(unit[1]);
    if (!(unitsPerSecond > 0)) {
      throw new IllegalStateException("no work was done in the window (" + unit[1] + " "
          + unitsPerSecond + ")");
    }
    JfrAllocations.Span span = JfrAllocations.read(recording, window.from(), window.to());
    double units = unitsPerSecond * span.seconds();
    Measurement m = new Measurement(done.run().name(), "heap bytes allocated per " + unit[0]
        + " in the target, from " + JfrAllocations.EVENT + " over "
        + Measurement.number(span.seconds()) + " s of the window, at " + Measurement.number(
        unitsPerSecond) + " " + unit[2] + "; process = every thread but the recording's own");
    m.add("allocated per " + unit[0], span.bytesExcept(RECORDER_THREADS) / units, "B",
        Measurement.Better.LOWER);
    m.add("loop allocated per " + unit[0], span.bytes(loopThreads) / units, "B",
        Measurement.Better.LOWER);
    m.add("allocation rate", span.bytesExcept(RECORDER_THREADS) / span.seconds() / 1e6, "MB/s",
        Measurement.Better.INFO);
    if (span.threads().stream().noneMatch(
        t -> loopThreads.stream().anyMatch(p -> t.thread().startsWith(p)))) {
      m.note("no thread's name starts with " + loopThreads + ": is --loop-threads right?");
    }
    StringBuilder top = new StringBuilder("most allocating threads, bytes per " + unit[0] + ":");
    span.threads().stream().limit(THREADS_LISTED).forEach(t -> top.append(String.format(
        Locale.ROOT, " %s %s;", t.thread(), Measurement.number(t.bytes() / units))));
    m.note(top.substring(0, top.length() - 1));
    return m;
  }

  private static String settings(Duration period) {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Written by lb-bench's AllocationMain: per-thread allocation, nothing else. -->
        <configuration version="2.0" label="lb4j bench allocation">
          <event name="%s">
            <setting name="enabled">true</setting>
            <setting name="period">%d ms</setting>
          </event>
        </configuration>
        """.formatted(JfrAllocations.EVENT, period.toMillis());
  }

  /** The jcmd next to this JVM's java, or the one on the PATH. */
  private static String defaultJcmd() {
    Path next = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return Files.isExecutable(next) ? next.toString() : "jcmd";
  }

  /** Runs a diagnostic command in the target; fails unless its output holds {@code expected}. */
  private static void jcmd(String jcmd, long pid, String expected, String... command)
      throws IOException, InterruptedException {
    List<String> line = new ArrayList<>(List.of(jcmd, Long.toString(pid)));
    line.addAll(List.of(command));
    Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
    process.getOutputStream().close();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", line) + " did not end within 60 s");
    }
    String output;
    try {
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (process.exitValue() != 0 || !output.contains(expected)) {
      throw new IllegalStateException(String.join(" ", line) + " failed (status "
          + process.exitValue() + "): " + output.strip());
    }
  }
}
