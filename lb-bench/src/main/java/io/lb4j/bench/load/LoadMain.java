package io.lb4j.bench.load;

import java.net.InetSocketAddress;
import java.nio.file.Path;
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
                           --resume (each connection offers a session ticket of an earlier one;
                           reports the share that resumed; named resumed-tls13 / resumed-tls12)
                           --rate R (open loop: R handshakes started a second on a fixed
                           schedule, each timed from its scheduled start, at most 1,000 in
                           flight; reports p50/p99/p99.9; named paced-tls13 / paced-tls12)
        requests           request/response on persistent connections, one in flight on each
                           --connections [64] --size [1024] --warmup [2s] --duration [5s]
                           --count [0: no bound]
        idle               target memory per idle mTLS connection
                           --connections [5000] --concurrency [64] --settle [2s] --timeout [120s]
                           --prewarm [0s] (handshakes first, so the target has run that code)

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
    String kind = args.positional().get(0).toLowerCase(Locale.ROOT);
    InetSocketAddress target = Run.address(args.required("target"), "target");
    Run.Client client = Run.Client.fromOptions(args);
    TargetProcess process = args.has("pid") ? Run.process(args.required("pid"), "pid") : null;
    Path results = args.has("results") ? Path.of(args.required("results")) : null;
    String label = args.string("label", "target");
    int round = Run.positive(args, "round", 1);
    Run run = Run.fromOptions(kind, args);
    args.rejectUnused();

    Measurement m = run.execute(client, target, process);
    System.out.print(m.format());
    if (results != null) {
      m.append(results, label, round);
    }
    return 0;
  }
}
