package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference server's jar ({@code lb4j.server.jar}, built by the reactor before the suite runs)
 * as a process of its own, on a YAML configuration with one listener, its output in a log file.
 * Not thread-safe: one test drives it.
 */
final class ServerProcess implements AutoCloseable {

  private static final Pattern STARTED = Pattern.compile("lb4j started on \\[/127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern ADMIN = Pattern.compile("admin listener on http://127\\.0\\.0\\.1:(\\d+)/");

  private final Process process;
  private final Path log;
  private InetSocketAddress address;
  private int adminPort;

  private ServerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Launches the server on {@code config}, writing its output to {@code log}; does not wait. */
  static ServerProcess launch(Path config, Path log) throws IOException {
    Path jar = Path.of(System.getProperty("lb4j.server.jar",
        "../lb-example-server/target/lb-example-server.jar"));
    assertThat(jar).as("the server's jar: build it with ./mvnw -pl lb-example-server,lb-bench -am"
        + " package -DskipTests").isRegularFile();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
        "-jar", jar.toAbsolutePath().toString(), "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return new ServerProcess(process, log);
  }

  /**
   * Waits until the server listens (and, when {@code withAdmin}, its admin listener too), failing
   * at once if the process ends.
   */
  ServerProcess awaitStarted(boolean withAdmin) {
    await("the server listens").atMost(Duration.ofSeconds(90))
        .failFast(() -> assertThat(process.isAlive()).as("server running; its log:\n%s", log())
            .isTrue())
        .until(() -> {
          String text = log();
          Matcher m = STARTED.matcher(text);
          Matcher a = ADMIN.matcher(text);
          if (m.find() && (!withAdmin || a.find())) {
            address = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
            adminPort = withAdmin ? Integer.parseInt(a.group(1)) : 0;
            return true;
          }
          return false;
        });
    return this;
  }

  /** Returns where the server listens (after {@link #awaitStarted}). */
  InetSocketAddress address() {
    return address;
  }

  /** Returns the process. */
  Process process() {
    return process;
  }

  /** Returns what the process printed so far. */
  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the admin listener's {@code GET /metrics}, in Prometheus's text format. */
  String metrics() throws IOException {
    HttpURLConnection c = (HttpURLConnection)
        URI.create("http://127.0.0.1:" + adminPort + "/metrics").toURL().openConnection();
    c.setConnectTimeout(10_000);
    c.setReadTimeout(30_000);
    try (InputStream in = c.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      c.disconnect();
    }
  }

  /**
   * Returns the sum of the values of every sample of {@code metric} whose labels contain each of
   * {@code labels} (as {@code name="value"}), 0 when there is none.
   */
  static double sum(String metrics, String metric, String... labels) {
    double total = 0;
    for (String line : metrics.split("\n")) {
      if (!line.startsWith(metric + "{")) {
        continue;
      }
      int close = line.lastIndexOf('}');
      String tags = line.substring(metric.length(), close + 1);
      boolean all = true;
      for (String label : labels) {
        all &= tags.contains(label);
      }
      if (all) {
        total += Double.parseDouble(line.substring(close + 1).trim().split(" ")[0]);
      }
    }
    return total;
  }

  /** Kills the process with SIGKILL, as a crash, and waits for it to end. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
