package io.lb4j.ratelimit.redis;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.time.Duration;

/**
 * The application's own connection. lb4j neither changes its options nor closes it: reconnecting
 * after an outage is Lettuce's, as the application configured it.
 */
final class GivenConnection implements BucketStore {

  private volatile RedisLink link;

  GivenConnection(
      StatefulRedisConnection<byte[], byte[]> connection, Duration commandTimeout, Clock wallClock) {
    this.link = RedisLink.of(connection, commandTimeout, wallClock);
  }

  @Override
  public Throwable start() {
    return null;
  }

  @Override
  public RedisLink link() {
    return link;
  }

  @Override
  public String where() {
    return "on the application's connection";
  }

  @Override
  public void close() {
    link = null;
  }
}
