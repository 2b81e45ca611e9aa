package io.lb4j.bench.soak;

import io.lb4j.tls.TlsEngine;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak command: runs {@link Soak} and prints its report.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp lb-bench/target/lb-bench.jar \
 *     io.lb4j.bench.soak.SoakMain [--duration 30m] [--clients 8] [--fault-interval 10s]
 *     [--seed N] [--max-stream 1048576] [--engine auto|openssl|jdk] [--report FILE]
 *     [--leak-detection paranoid|advanced|simple|disabled]
 * </pre>
 *
 * <p>Durations are written {@code 500ms}, {@code 20s}, {@code 30m} or {@code 2h}. Exit status 0
 * when the report passed, 1 when it found a fault of lb4j, 2 for bad arguments. Netty's leak
 * detection defaults to paranoid here: every buffer is tracked, which costs CPU and is the point.
 */
public final class SoakMain {

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private SoakMain() {}

  /**
   * Runs the command.
   *
   * @param args the options above
   */
  public static void main(String[] args) throws Exception {
    SoakConfig config = SoakConfig.defaults();
    Path reportFile = null;
    ResourceLeakDetector.Level leakLevel = ResourceLeakDetector.Level.PARANOID;
    try {
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (option.equals("--help") || option.equals("-h")) {
          usage();
          return;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(option + " needs a value");
        }
        String value = args[++i];
        switch (option) {
          case "--duration" -> config = config.withDuration(duration(value, option));
          case "--clients" -> config = config.withClients(Integer.parseInt(value));
          case "--fault-interval" -> config = config.withFaultInterval(duration(value, option));
          case "--seed" -> config = config.withSeed(Long.parseLong(value));
          case "--max-stream" -> config = config.withMaxStreamBytes(Integer.parseInt(value));
          case "--engine" -> config = config.withEngine(TlsEngine.valueOf(value.toUpperCase(Locale.ROOT)));
          case "--report" -> reportFile = Path.of(value);
          case "--leak-detection" ->
              leakLevel = ResourceLeakDetector.Level.valueOf(value.toUpperCase(Locale.ROOT));
          default -> throw new IllegalArgumentException("unknown option " + option);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("lb4j soak: " + e.getMessage() + " (see --help)");
      System.exit(2);
      return;
    }
    ResourceLeakDetector.setLevel(leakLevel);
    SoakReport report = Soak.run(config);
    String text = report.toText();
    System.out.print(text);
    if (reportFile != null) {
      try {
        Files.writeString(reportFile, text, StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("lb4j soak: cannot write the report to " + reportFile + ": " + e);
      }
    }
    System.exit(report.passed() ? 0 : 1);
  }

  static Duration duration(String text, String option) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          option + " must be a duration such as 500ms, 20s, 30m or 2h but was '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  private static void usage() {
    System.out.println("""
        usage: SoakMain [--duration 30m] [--clients 8] [--fault-interval 10s] [--seed N]
                        [--max-stream BYTES] [--engine auto|openssl|jdk] [--report FILE]
                        [--leak-detection paranoid|advanced|simple|disabled]
        Runs lb4j with mutual TLS in front of loopback hosts under mixed traffic and scheduled
        faults, then prints what it saw. Exit status 0 when nothing was wrong, 1 otherwise.""");
  }
}
