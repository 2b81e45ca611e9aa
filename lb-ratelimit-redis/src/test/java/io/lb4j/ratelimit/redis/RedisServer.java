package io.lb4j.ratelimit.redis;

import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.redis.RedisNode;
import java.time.Duration;
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
    Peers.assumeAvailable(RedisNode.binary().isPresent(), "redis-server",
        () -> "no Docker engine answers and no redis-server binary is on the PATH");
    return new LocalRedisServer();
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
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
        .until(() -> RedisNode.answersPing(host(), port()));
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  static int freeLoopbackPort() {
    return RedisNode.freePort();
  }
}
