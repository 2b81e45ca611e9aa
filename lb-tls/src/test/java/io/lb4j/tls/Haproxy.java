package io.lb4j.tls;

import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A HAProxy process in the foreground with a configuration of the test's, logging to its standard
 * output (a file the test reads). Skips through {@link Peers} where HAProxy is not installed.
 * {@link #close()} kills it; call it from an {@code @AfterEach}.
 */
final class Haproxy implements AutoCloseable {

  private final Process process;
  private final Path log;

  private Haproxy(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Skips (or fails in CI) where no haproxy binary is found. */
  static String binary() {
    for (String candidate : List.of("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    Peers.assumeAvailable(Peers.onPath("haproxy"), "haproxy",
        () -> "no haproxy in /usr/sbin or on the PATH (Debian package haproxy)");
    return "haproxy";
  }

  /**
   * Starts HAProxy with {@code config} appended to a global section that logs raw lines to
   * standard output, and waits until {@code readyPort} accepts connections.
   */
  static Haproxy start(Path dir, String config, int readyPort) throws IOException {
    String binary = binary();
    Path file = dir.resolve("haproxy-" + System.nanoTime() + ".cfg");
    Files.writeString(
        file,
        "global\n  log stdout format raw local0\n\n"
            + "defaults\n  mode tcp\n  log global\n  timeout connect 5s\n"
            + "  timeout client 30s\n  timeout server 30s\n\n"
            + config);
    Path log = dir.resolve(file.getFileName() + ".log");
    Process process =
        new ProcessBuilder(binary, "-db", "-f", file.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    Haproxy haproxy = new Haproxy(process, log);
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !process.isAlive() || accepts(readyPort));
      if (!process.isAlive()) {
        throw new AssertionError("haproxy exited at start: " + haproxy.output());
      }
    } catch (RuntimeException | AssertionError e) {
      haproxy.close();
      throw e;
    }
    return haproxy;
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns a port free at the time of the call on 127.0.0.1. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  /** Returns everything HAProxy printed so far. */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Waits until HAProxy printed a line containing {@code text}, and returns that line. */
  String awaitLine(String text) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> output().lines().anyMatch(l -> l.contains(text)));
    return output().lines().filter(l -> l.contains(text)).findFirst().orElseThrow();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
