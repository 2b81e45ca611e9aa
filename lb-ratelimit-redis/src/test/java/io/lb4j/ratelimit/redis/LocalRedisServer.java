package io.lb4j.ratelimit.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code redis-server} run from its binary, bound to loopback, persisting nothing. */
final class LocalRedisServer extends RedisServer {

  private final Path binary;
  private final int port;
  private final Path logFile;
  private Process process;

  LocalRedisServer(Path binary) {
    this.binary = binary;
    this.port = freeLoopbackPort();
    try {
      Files.createDirectories(Path.of("target"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.logFile = Path.of("target", "redis-" + port + ".log");
    restart();
  }

  @Override
  String host() {
    return "127.0.0.1";
  }

  @Override
  int port() {
    return port;
  }

  @Override
  void restart() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("redis-server on port " + port + " is already running");
    }
    List<String> command = List.of(
        binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no");
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    awaitAnswering();
  }

  @Override
  void stop() {
    Process running = process;
    if (running == null) {
      return;
    }
    running.destroy();
    try {
      if (!running.waitFor(10, TimeUnit.SECONDS)) {
        running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.destroyForcibly();
    }
    process = null;
  }

  @Override
  public void close() {
    stop();
  }
}
