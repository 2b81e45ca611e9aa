package io.lb4j.bench.ratelimit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} started from the binary on PATH, on an ephemeral loopback port, keeping
 * nothing on disk; for benchmarks that need a real Redis next to them.
 */
final class LocalRedis implements AutoCloseable {

  private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);

  private final int port;
  private final Process process;

  private LocalRedis(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  /**
   * Starts redis-server and waits until it answers.
   *
   * @throws IllegalStateException if there is no redis-server on PATH or it does not answer
   */
  static LocalRedis start() {
    Path binary = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "redis-server"))
        .filter(Files::isExecutable)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(
            "no redis-server binary on PATH; install it or pass -Dlb4j.bench.redisUri=redis://host:port"));
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process process;
    try {
      process = new ProcessBuilder(List.of(binary.toString(), "--port", Integer.toString(port),
              "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
    LocalRedis redis = new LocalRedis(port, process);
    long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
    while (!redis.answersPing()) {
      if (System.nanoTime() - deadline > 0 || !process.isAlive()) {
        redis.close();
        throw new IllegalStateException("redis-server on port " + port + " did not answer");
      }
      Thread.onSpinWait();
    }
    return redis;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
