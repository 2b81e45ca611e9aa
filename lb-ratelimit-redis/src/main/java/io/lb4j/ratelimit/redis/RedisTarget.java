package io.lb4j.ratelimit.redis;

import io.lettuce.core.RedisURI;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where a limiter that opens its own connection finds Redis: one URI (a standalone server, or a
 * Sentinel set that names the master, as Lettuce reads {@code redis-sentinel://}), or the seed
 * nodes of a Redis Cluster.
 */
sealed interface RedisTarget {

  /** Says where Redis is, for logs; never a password. */
  String where();

  /** A standalone Redis, or the master a Sentinel set names; Lettuce's {@code RedisClient}. */
  record Single(RedisURI uri) implements RedisTarget {
    @Override
    public String where() {
      if (uri.getSentinelMasterId() != null) {
        return "master " + uri.getSentinelMasterId() + " of sentinels " + addresses(uri.getSentinels());
      }
      return "at " + address(uri);
    }
  }

  /** The seed nodes of a Redis Cluster; Lettuce's {@code RedisClusterClient}. */
  record Cluster(List<RedisURI> seeds) implements RedisTarget {
    public Cluster {
      seeds = List.copyOf(seeds);
    }

    @Override
    public String where() {
      return "cluster " + addresses(seeds);
    }
  }

  private static String address(RedisURI uri) {
    // Host and port only: the URI may carry a password.
    return uri.getHost() + ":" + uri.getPort();
  }

  private static String addresses(List<RedisURI> uris) {
    return uris.stream().map(RedisTarget::address).collect(Collectors.joining(",", "[", "]"));
  }
}
