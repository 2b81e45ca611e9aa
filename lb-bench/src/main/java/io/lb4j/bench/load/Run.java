package io.lb4j.bench.load;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One measure with its settings, ready to run against a target: what {@link LoadMain} reads from
 * its options, or {@link PlanMain} from a name such as {@code up-16} or {@code handshakes-tls12}.
 *
 * @param kind up, down, echo, handshakes, resumed (handshakes that resume a session), paced
 *     (handshakes started at a fixed rate), requests or idle
 * @param name the measure's name in reports and results files
 * @param connections connections of bulk, requests and idle
 * @param concurrency handshakes, or idle connections being opened, at a time
 * @param size request size of requests
 * @param tls the protocols the client offers
 * @param warmup unmeasured time before the window (bulk, handshakes, requests)
 * @param duration the measured window (bulk, handshakes, requests)
 * @param count operations after which the window ends early, 0 for none (handshakes, requests)
 * @param settle pause before each memory reading (idle)
 * @param timeout longest time to open every connection (idle)
 * @param prewarm handshakes before the first memory reading, so the target has run its
 *     handshake code once (idle); zero for none
 * @param progress whether bulk prints each second's throughput
 * @param rate handshakes started a second on a fixed schedule (paced); 0 for the others
 */
record Run(String kind, String name, int connections, int concurrency, int size,
    LoadClient.Tls tls, Duration warmup, Duration duration, long count, Duration settle,
    Duration timeout, Duration prewarm, boolean progress, double rate) {

  /** The offered rate of {@code paced-tls13} and {@code paced-tls12} unless told otherwise. */
  static final double DEFAULT_HANDSHAKE_RATE = 300;

  /** The names {@link #named} knows. */
  static final Pattern NAMED = Pattern.compile(
      "(up|down|echo|requests|idle)-([1-9][0-9]*)|(handshakes|resumed|paced)-tls1([23])");

  /** The client's side of every run: who it is and how it connects. */
  record Client(Path certificate, Path privateKey, Path ca, List<String> groups, int threads) {

    /** Reads {@code --cert --key --ca [--groups] [--threads]}. */
    static Client fromOptions(Args args) {
      return new Client(existing(args, "cert"), existing(args, "key"), existing(args, "ca"),
          List.of(args.string("groups", "X25519,P-256").split(",")),
          positive(args, "threads", 1));
    }

    LoadClient open(InetSocketAddress target, LoadClient.Tls tls, boolean resume) {
      return new LoadClient(target, certificate, privateKey, ca, tls, groups, threads, resume);
    }
  }

  /**
   * Reads a measure's own options ({@link LoadMain#USAGE}); the caller checks for unused ones.
   *
   * @throws Args.UsageException for an unknown measure or a bad value
   */
  static Run fromOptions(String kind, Args args) {
    String name = args.string("name", null);
    switch (kind) {
      case "up", "down", "echo" -> {
        int connections = positive(args, "connections", 1);
        return new Run(kind, name == null ? kind + "-" + connections : name, connections, 0, 0,
            LoadClient.Tls.parse(args.string("tls", "any")),
            args.duration("warmup", Duration.ofSeconds(2)),
            positiveDuration(args, "duration", Duration.ofSeconds(5)), 0, Duration.ZERO,
            Duration.ZERO, Duration.ZERO, args.has("progress"), 0);
      }
      case "handshakes" -> {
        LoadClient.Tls tls = LoadClient.Tls.parse(args.string("tls", "1.3"));
        if (tls == LoadClient.Tls.ANY) {
          throw new Args.UsageException("handshakes need --tls 1.3 or --tls 1.2");
        }
        double rate = args.has("rate") ? positiveRate(args, "rate") : 0;
        if (rate > 0 && args.has("resume")) {
          throw new Args.UsageException("--rate and --resume do not go together");
        }
        String measured = rate > 0 ? "paced" : args.has("resume") ? "resumed" : kind;
        return new Run(measured, name == null ? measured + "-" + tls.name().toLowerCase(Locale.ROOT)
            : name, 0, positive(args, "concurrency", 16), 0, tls,
            args.duration("warmup", Duration.ofSeconds(1)),
            positiveDuration(args, "duration", Duration.ofSeconds(5)), args.longValue("count", 0),
            Duration.ZERO, Duration.ZERO, Duration.ZERO, false, rate);
      }
      case "requests" -> {
        int connections = positive(args, "connections", 64);
        return new Run(kind, name == null ? "requests-" + connections : name, connections, 0,
            positive(args, "size", 1024), LoadClient.Tls.parse(args.string("tls", "any")),
            args.duration("warmup", Duration.ofSeconds(2)),
            positiveDuration(args, "duration", Duration.ofSeconds(5)), args.longValue("count", 0),
            Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 0);
      }
      case "idle" -> {
        int connections = positive(args, "connections", 5000);
        return new Run(kind, name == null ? "idle-" + connections : name, connections,
            positive(args, "concurrency", 64), 0, LoadClient.Tls.parse(args.string("tls", "any")),
            Duration.ZERO, Duration.ZERO, 0, args.duration("settle", Duration.ofSeconds(2)),
            positiveDuration(args, "timeout", Duration.ofSeconds(120)),
            args.duration("prewarm", Duration.ZERO), false, 0);
      }
      default -> throw new Args.UsageException("unknown measure '" + kind
          + "'; one of up, down, echo, handshakes, requests, idle");
    }
  }

  /**
   * Returns the run a name stands for: {@code up-N}, {@code down-N}, {@code echo-N} (N
   * connections), {@code handshakes-tls13}, {@code handshakes-tls12}, {@code requests-N} (N
   * connections of 1 KiB requests), {@code idle-N} (N idle connections), {@code paced-tls13},
   * {@code paced-tls12} (full handshakes started {@code handshakeRate} a second). Every other
   * setting is its default, except the given warm-up and window (not used by idle) and idle's
   * prewarm.
   *
   * @throws Args.UsageException if the name is none of those
   */
  static Run named(String name, Duration warmup, Duration duration, Duration idlePrewarm,
      double handshakeRate) {
    Matcher m = NAMED.matcher(name);
    if (!m.matches()) {
      throw new Args.UsageException("unknown measure '" + name + "'; names are up-N, down-N, "
          + "echo-N, requests-N, idle-N, handshakes-tls13, handshakes-tls12, resumed-tls13, "
          + "resumed-tls12, paced-tls13 and paced-tls12");
    }
    if (m.group(3) != null) {
      return new Run(m.group(3), name, 0, 16, 0,
          m.group(4).equals("3") ? LoadClient.Tls.TLS13 : LoadClient.Tls.TLS12, warmup, duration,
          0, Duration.ZERO, Duration.ZERO, Duration.ZERO, false,
          m.group(3).equals("paced") ? handshakeRate : 0);
    }
    String kind = m.group(1);
    int n = Integer.parseInt(m.group(2));
    return switch (kind) {
      case "requests" -> new Run(kind, name, n, 0, 1024, LoadClient.Tls.ANY, warmup, duration, 0,
          Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 0);
      case "idle" -> new Run(kind, name, n, 64, 0, LoadClient.Tls.ANY, Duration.ZERO,
          Duration.ZERO, 0, Duration.ofSeconds(2), Duration.ofSeconds(120), idlePrewarm, false, 0);
      default -> new Run(kind, name, n, 0, 0, LoadClient.Tls.ANY, warmup, duration, 0,
          Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 0);
    };
  }

  /**
   * Runs this measure against {@code target}, whose process (null if unknown) is measured.
   * Adds what the kernel's TCP memory pressure was meanwhile, and notes about the conditions.
   */
  Measurement execute(Client client, InetSocketAddress target, TargetProcess process)
      throws InterruptedException {
    long pressureBefore = TcpMemoryPressure.millisSinceBoot();
    Measurement m;
    try (LoadClient load = client.open(target, tls, kind.equals("resumed"))) {
      m = switch (kind) {
        case "up", "down", "echo" -> Bulk.run(load, process, name,
            Bulk.Direction.valueOf(kind.toUpperCase(Locale.ROOT)), connections, warmup, duration,
            progress);
        case "handshakes", "resumed" -> Handshakes.run(load, process, name, concurrency, warmup,
            duration, count);
        case "paced" -> Handshakes.paced(load, process, name, rate, warmup, duration, count);
        case "requests" -> RequestResponse.run(load, process, name, connections, size, warmup,
            duration, count);
        case "idle" -> {
          if (!prewarm.isZero()) {
            Handshakes.run(load, null, name + "-prewarm", concurrency, Duration.ZERO, prewarm, 0);
          }
          yield IdleConnections.run(load, process, name, connections, concurrency, settle,
              timeout);
        }
        default -> throw new IllegalStateException("no measure " + kind);
      };
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
      m.note("no target pid: the target's CPU and memory were not read");
    }
    return m;
  }

  static InetSocketAddress address(String text, String option) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new Args.UsageException("--" + option + " must be host:port but was '" + text + "'");
    }
    try {
      return new InetSocketAddress(text.substring(0, colon),
          Integer.parseInt(text.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new Args.UsageException("--" + option + " must be host:port but was '" + text + "'");
    }
  }

  static TargetProcess process(String pid, String option) {
    try {
      return TargetProcess.of(Long.parseLong(pid));
    } catch (NumberFormatException e) {
      throw new Args.UsageException("--" + option + ": '" + pid + "' is not a process id");
    } catch (IllegalArgumentException e) {
      throw new Args.UsageException("--" + option + ": " + e.getMessage());
    }
  }

  private static Path existing(Args args, String option) {
    Path path = args.path(option);
    if (!Files.isReadable(path)) {
      throw new Args.UsageException("--" + option + " " + path + " is not a readable file");
    }
    return path;
  }

  static int positive(Args args, String option, int fallback) {
    int value = args.integer(option, fallback);
    if (value < 1) {
      throw new Args.UsageException("--" + option + " must be at least 1 but was " + value);
    }
    return value;
  }

  /** Reads a rate a second, such as {@code 400} or {@code 12.5}, above zero. */
  static double positiveRate(Args args, String option) {
    String text = args.required(option);
    double value;
    try {
      value = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new Args.UsageException("--" + option + " must be a number a second but was '" + text
          + "'");
    }
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new Args.UsageException("--" + option + " must be above 0 but was " + text);
    }
    return value;
  }

  static Duration positiveDuration(Args args, String option, Duration fallback) {
    Duration value = args.duration(option, fallback);
    if (value.isZero() || value.isNegative()) {
      throw new Args.UsageException("--" + option + " must be positive but was " + value);
    }
    return value;
  }
}
