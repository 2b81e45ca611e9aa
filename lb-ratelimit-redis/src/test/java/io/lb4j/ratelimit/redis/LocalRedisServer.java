package io.lb4j.ratelimit.redis;

import io.lb4j.testkit.redis.RedisNode;
import java.util.List;

/** {@code redis-server} run from its binary, bound to loopback, persisting nothing. */
final class LocalRedisServer extends RedisServer {

  private final RedisNode node;

  LocalRedisServer() {
    this.node = RedisNode.start(RedisNode.freePort(), List.of());
  }

  @Override
  String host() {
    return "127.0.0.1";
  }

  @Override
  int port() {
    return node.port();
  }

  @Override
  void restart() {
    node.restart();
  }

  @Override
  void stop() {
    node.stop();
  }

  @Override
  public void close() {
    node.close();
  }
}
