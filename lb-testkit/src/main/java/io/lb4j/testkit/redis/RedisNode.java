package io.lb4j.testkit.redis;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One {@code redis-server} process on a loopback port, persisting nothing, that can be stopped,
 * killed ({@code SIGKILL}, as a crash) and started again on the same port. Its output goes to a
 * log file. Not thread-safe: one test drives it.
 *
 * <pre>{@code
 * try (RedisNode redis = RedisNode.start(RedisNode.freePort(), List.of())) {
 *   String uri = redis.uri();
 * }
 * }</pre>
 */
public final class RedisNode implements AutoCloseable {

  private static final long ANSWER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);

  private final int port;
  private final List<String> command;
  private final Path log;
  private Process process;

  private RedisNode(int port, List<String> command, Path log) {
    this.port = port;
    this.command = command;
    this.log = log;
  }

  /**
   * Returns the {@code redis-server} binary on the PATH, if there is one. Callers that cannot run
   * without it skip through {@code Peers.assumeAvailable}.
   */
  public static Optional<Path> binary() {
    return onPath("redis-server");
  }

  /** Returns the {@code redis-cli} binary on the PATH, if there is one. */
  public static Optional<Path> cliBinary() {
    return onPath("redis-cli");
  }

  private static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Stream.of(path.split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * Starts {@code redis-server} on {@code port} of 127.0.0.1 with {@code extraArguments} after the
   * port, bind and no-persistence options, and waits until it answers a PING.
   *
   * @param port the port
   * @param extraArguments more command-line options, e.g. {@code --cluster-enabled yes}
   * @throws IllegalStateException if there is no {@code redis-server} on the PATH, or it does not
   *     answer within 20 seconds
   */
  public static RedisNode start(int port, List<String> extraArguments) {
    List<String> command = new ArrayList<>(List.of("--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
    command.addAll(extraArguments);
    return launch(port, command);
  }

  /**
   * Starts {@code redis-server configuration --sentinel}: a sentinel whose configuration file
   * (which it rewrites) sets its port, bind address and what it monitors.
   *
   * @param port the port the configuration sets
   * @param configuration the configuration file, writable
   */
  public static RedisNode startSentinel(int port, Path configuration) {
    return launch(port, List.of(configuration.toString(), "--sentinel"));
  }

  private static RedisNode launch(int port, List<String> arguments) {
    Path binary = binary().orElseThrow(
        () -> new IllegalStateException("no redis-server binary on the PATH"));
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(arguments);
    Path logDir = Path.of("target");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisNode node = new RedisNode(port, List.copyOf(command), logDir.resolve("redis-" + port + ".log"));
    node.restart();
    return node;
  }

  /** Returns the port. */
  public int port() {
    return port;
  }

  /** Returns {@code redis://127.0.0.1:port}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Returns whether the process runs. */
  public boolean alive() {
    return process != null && process.isAlive();
  }

  /**
   * Starts the process again on the same port (empty, unless its configuration keeps state) and
   * waits until it answers.
   *
   * @throws IllegalStateException if it runs already, or does not answer within 20 seconds
   */
  public void restart() {
    if (alive()) {
      throw new IllegalStateException("redis-server on port " + port + " is already running");
    }
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    long deadline = System.nanoTime() + ANSWER_TIMEOUT_NANOS;
    while (!answersPing("127.0.0.1", port)) {
      if (System.nanoTime() - deadline > 0 || !process.isAlive()) {
        kill();
        throw new IllegalStateException("redis-server on port " + port + " did not answer; see " + log);
      }
      sleepBriefly();
    }
  }

  /** Kills the process with {@code SIGKILL}, as a crash: no shutdown, connections reset. */
  public void kill() {
    Process running = process;
    if (running != null) {
      running.destroyForcibly();
      await(running);
    }
  }

  /** Stops the process ({@code SIGTERM}), waiting for it to end. */
  public void stop() {
    Process running = process;
    if (running == null) {
      return;
    }
    running.destroy();
    await(running);
  }

  private static void await(Process running) {
    try {
      if (!running.waitFor(10, TimeUnit.SECONDS)) {
        running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.destroyForcibly();
    }
  }

  /**
   * Runs {@code redis-cli -p port args...} and returns what it printed.
   *
   * @throws IllegalStateException if {@code redis-cli} is missing or fails
   */
  public String cli(String... args) {
    return cli(port, args);
  }

  /**
   * Runs {@code redis-cli -h 127.0.0.1 -p port args...} and returns what it printed.
   *
   * @throws IllegalStateException if {@code redis-cli} is missing, fails, or takes over 30 seconds
   */
  public static String cli(int port, String... args) {
    Path binary = cliBinary().orElseThrow(
        () -> new IllegalStateException("no redis-cli binary on the PATH"));
    List<String> command = new ArrayList<>(List.of(
        binary.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not end");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(command + " failed: " + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Returns whether a Redis on {@code host:port} answers a PING within half a second. */
  public static boolean answersPing(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
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

  /** Returns a free loopback port. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port on loopback", e);
    }
  }

  /**
   * Returns a free loopback port whose Cluster bus port (10,000 above it) is free too.
   *
   * @throws IllegalStateException if none is found in 100 tries
   */
  public static int freeClusterPort() {
    for (int i = 0; i < 100; i++) {
      int port = freePort();
      if (port + 10_000 <= 65_535 && isFree(port + 10_000)) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port with a free cluster bus port");
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void sleepBriefly() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
