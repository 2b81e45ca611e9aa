package io.lb4j.bench.load;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The load generator: runs one measure against a mutual-TLS target and prints what it found.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.LoadMain handshakes \
 *     --target 127.0.0.1:18410 --cert client.pem --key client-key.pem --ca ca.pem \
 *     --pid 12345 --tls 1.2 --duration 5s
 * }</pre>
 *
 * <p>See {@link #USAGE} for every measure and option, and lb-bench/README.md for how to read the
 * figures. Exit status 0 when the measure ran, 2 for a command line that cannot run, 1 when the
 * measure failed.
 */
public final class LoadMain {

  static final String USAGE = """
      usage: java -cp lb-bench.jar io.lb4j.bench.load.LoadMain MEASURE --target HOST:PORT \\
                 --cert CLIENT.pem --key CLIENT-KEY.pem --ca CA.pem [--pid PID] [options]

      measures (defaults in brackets):
        up | down | echo   bulk throughput; up needs bench hosts (sink), down needs bench hosts
                           (source), echo works with any echo host
                           --connections [1] --warmup [2s] --duration [5s]
                           --progress (print each second's throughput to stderr)
        handshakes         full mTLS handshakes, each with a 32-byte echo, then close
                           --tls [1.3] (1.3 or 1.2; 1.2 uses ECDHE-ECDSA-AES128-GCM-SHA256)
                           --concurrency [16] --warmup [1s] --duration [5s] --count [0: no bound]
        requests           request/response on persistent connections, one in flight on each
                           --connections [64] --size [1024] --warmup [2s] --duration [5s]
                           --count [0: no bound]
        idle               target memory per idle mTLS connection
                           --connections [5000] --concurrency [64] --settle [2s] --timeout [120s]

      common options:
        --pid PID          the target process: its CPU time (and RSS for idle) from /proc;
                           without it only client-side figures are reported
        --tls any|1.3|1.2  protocols offered [any: 1.3 and 1.2, except handshakes]
        --threads N        client event-loop threads [1]
        --groups G1,G2     key-exchange groups offered [X25519,P-256]
        --results FILE     append tab-separated figures for CompareTable
        --label NAME       the target's name in FILE [target]
        --round N          the round number in FILE [1]
        --name NAME        the measure's name in FILE [e.g. up-1, handshakes-tls13, idle-5000]
      """;

  private LoadMain() {}

  /** Runs one measure; see {@link #USAGE}. */
  public static void main(String[] argv) {
    int status;
    try {
      status = run(argv);
    } catch (Args.UsageException e) {
      System.err.println("load: " + e.getMessage());
      System.err.println("run with --help for usage");
      status = 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("load: interrupted");
      status = 1;
    } catch (RuntimeException e) {
      System.err.println("load: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }

  private static int run(String[] argv) throws InterruptedException {
    Args args = Args.parse(argv);
    if (args.has("help") || args.positional().isEmpty()) {
      System.out.print(USAGE);
      return args.has("help") ? 0 : 2;
    }
    if (args.positional().size() > 1) {
      throw new Args.UsageException("one measure at a time, but got " + args.positional());
    }
    String measure = args.positional().get(0).toLowerCase(Locale.ROOT);
    InetSocketAddress target = address(args.required("target"));
    Path cert = existing(args, "cert");
    Path key = existing(args, "key");
    Path ca = existing(args, "ca");
    TargetProcess process = args.has("pid") ? pid(args.required("pid")) : null;
    int threads = positive(args, "threads", 1);
    List<String> groups = List.of(args.string("groups", "X25519,P-256").split(","));
    Path results = args.has("results") ? Path.of(args.required("results")) : null;
    String label = args.string("label", "target");
    int round = positive(args, "round", 1);
    String name = args.string("name", null);

    long pressureBefore = TcpMemoryPressure.millisSinceBoot();
    Measurement m;
    switch (measure) {
      case "up", "down", "echo" -> {
        int connections = positive(args, "connections", 1);
        Duration warmup = args.duration("warmup", Duration.ofSeconds(2));
        Duration duration = positiveDuration(args, "duration", Duration.ofSeconds(5));
        LoadClient.Tls tls = LoadClient.Tls.parse(args.string("tls", "any"));
        boolean progress = args.has("progress");
        args.rejectUnused();
        Bulk.Direction direction = Bulk.Direction.valueOf(measure.toUpperCase(Locale.ROOT));
        try (LoadClient client = new LoadClient(target, cert, key, ca, tls, groups, threads)) {
          m = Bulk.run(client, process, name == null ? measure + "-" + connections : name,
              direction, connections, warmup, duration, progress);
        }
      }
      case "handshakes" -> {
        LoadClient.Tls tls = LoadClient.Tls.parse(args.string("tls", "1.3"));
        if (tls == LoadClient.Tls.ANY) {
          throw new Args.UsageException("handshakes need --tls 1.3 or --tls 1.2");
        }
        int concurrency = positive(args, "concurrency", 16);
        Duration warmup = args.duration("warmup", Duration.ofSeconds(1));
        Duration duration = positiveDuration(args, "duration", Duration.ofSeconds(5));
        long count = args.longValue("count", 0);
        args.rejectUnused();
        try (LoadClient client = new LoadClient(target, cert, key, ca, tls, groups, threads)) {
          m = Handshakes.run(client, process,
              name == null ? "handshakes-" + tls.name().toLowerCase(Locale.ROOT) : name,
              concurrency, warmup, duration, count);
        }
      }
      case "requests" -> {
        int connections = positive(args, "connections", 64);
        int size = positive(args, "size", 1024);
        Duration warmup = args.duration("warmup", Duration.ofSeconds(2));
        Duration duration = positiveDuration(args, "duration", Duration.ofSeconds(5));
        long count = args.longValue("count", 0);
        LoadClient.Tls tls = LoadClient.Tls.parse(args.string("tls", "any"));
        args.rejectUnused();
        try (LoadClient client = new LoadClient(target, cert, key, ca, tls, groups, threads)) {
          m = RequestResponse.run(client, process,
              name == null ? "requests-" + connections : name, connections, size, warmup,
              duration, count);
        }
      }
      case "idle" -> {
        int connections = positive(args, "connections", 5000);
        int concurrency = positive(args, "concurrency", 64);
        Duration settle = args.duration("settle", Duration.ofSeconds(2));
        Duration timeout = positiveDuration(args, "timeout", Duration.ofSeconds(120));
        LoadClient.Tls tls = LoadClient.Tls.parse(args.string("tls", "any"));
        args.rejectUnused();
        try (LoadClient client = new LoadClient(target, cert, key, ca, tls, groups, threads)) {
          m = IdleConnections.run(client, process,
              name == null ? "idle-" + connections : name, connections, concurrency, settle,
              timeout);
        }
      }
      default -> throw new Args.UsageException("unknown measure '" + measure
          + "'; one of up, down, echo, handshakes, requests, idle");
    }
    long pressureAfter = TcpMemoryPressure.millisSinceBoot();
    if (pressureBefore >= 0 && pressureAfter >= 0) {
      long pressure = pressureAfter - pressureBefore;
      m.add("kernel tcp pressure", pressure, "ms", Measurement.Better.INFO);
      if (pressure > 0) {
        m.note("the kernel was under TCP memory pressure for " + pressure + " ms of this run "
            + "(net.ipv4.tcp_mem exceeded, machine-wide): it drops segments even on loopback, "
            + "so these figures are not the target's");
      }
    }
    if (LoopTransport.best() != LoopTransport.EPOLL) {
      m.note("the client ran on NIO, not epoll: not comparable with epoll runs");
    }
    if (process == null) {
      m.note("no --pid: the target's CPU and memory were not read");
    }
    System.out.print(m.format());
    if (results != null) {
      m.append(results, label, round);
    }
    return 0;
  }

  private static InetSocketAddress address(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new Args.UsageException("--target must be host:port but was '" + text + "'");
    }
    try {
      return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new Args.UsageException("--target must be host:port but was '" + text + "'");
    }
  }

  private static Path existing(Args args, String option) {
    Path path = args.path(option);
    if (!Files.isReadable(path)) {
      throw new Args.UsageException("--" + option + " " + path + " is not a readable file");
    }
    return path;
  }

  private static TargetProcess pid(String text) {
    try {
      return TargetProcess.of(Long.parseLong(text));
    } catch (NumberFormatException e) {
      throw new Args.UsageException("--pid must be a process id but was '" + text + "'");
    } catch (IllegalArgumentException e) {
      throw new Args.UsageException("--pid: " + e.getMessage());
    }
  }

  private static int positive(Args args, String option, int fallback) {
    int value = args.integer(option, fallback);
    if (value < 1) {
      throw new Args.UsageException("--" + option + " must be at least 1 but was " + value);
    }
    return value;
  }

  private static Duration positiveDuration(Args args, String option, Duration fallback) {
    Duration value = args.duration(option, fallback);
    if (value.isZero() || value.isNegative()) {
      throw new Args.UsageException("--" + option + " must be positive but was " + value);
    }
    return value;
  }
}
