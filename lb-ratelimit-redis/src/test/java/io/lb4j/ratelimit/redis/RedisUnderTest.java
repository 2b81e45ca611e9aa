package io.lb4j.ratelimit.redis;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Redis for each test ({@link RedisServer#start()}, which skips the test when none can
 * run), and the limiters the test built on it, all closed after the test. Register it with
 * {@code @RegisterExtension}.
 */
final class RedisUnderTest implements BeforeEachCallback, AfterEachCallback {

  private RedisServer server;
  private final List<RedisRateLimiter> limiters = new ArrayList<>();

  @Override
  public void beforeEach(ExtensionContext context) {
    server = RedisServer.start();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    limiters.forEach(RedisRateLimiter::close);
    limiters.clear();
    if (server != null) {
      server.close();
    }
  }

  /** Returns {@code limiter}, to be closed after the test. */
  RedisRateLimiter track(RedisRateLimiter limiter) {
    limiters.add(limiter);
    return limiter;
  }

  String uri() {
    return server.uri();
  }

  void stop() {
    server.stop();
  }

  void restart() {
    server.restart();
  }
}
