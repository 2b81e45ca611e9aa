package io.lb4j.ratelimit.redis;

import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;

/**
 * A real Redis for a test, on loopback: in a container where a Docker engine answers, else the
 * local {@code redis-server} binary on an ephemeral port. Can be stopped and started again on the
 * same port, to play an outage.
 */
abstract class RedisServer implements AutoCloseable {

  /**
   * Starts a Redis, or skips the test when there is no way to run one; in CI, where {@code .ci/run}
   * installs {@code redis-server}, fails it instead.
   */
  static RedisServer start() {
    if (dockerAnswers()) {
      return new ContainerRedisServer();
    }
    Optional<Path> binary = binaryOnPath();
    Peers.assumeAvailable(binary.isPresent(), "redis-server",
        () -> "no Docker engine answers and no redis-server binary is on the PATH");
    return new LocalRedisServer(binary.get());
  }

  abstract String host();

  abstract int port();

  String uri() {
    return "redis://" + host() + ":" + port();
  }

  /** Stops Redis, dropping its connections and its data. */
  abstract void stop();

  /** Starts Redis again on the same port, empty, and waits until it answers. */
  abstract void restart();

  @Override
  public abstract void close();

  /** Waits until Redis answers a PING. */
  void awaitAnswering() {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(this::answersPing);
  }

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host(), port()), 500);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] reply = new byte[7];
      InputStream in = socket.getInputStream();
      int read = in.readNBytes(reply, 0, reply.length);
      return new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static Optional<Path> binaryOnPath() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Stream.of(path.split(java.io.File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "redis-server"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port on loopback", e);
    }
  }
}
