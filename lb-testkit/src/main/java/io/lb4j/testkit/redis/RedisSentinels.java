package io.lb4j.testkit.redis;

import io.lb4j.testkit.data.Folders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A master, its replica and three sentinels watching them, on loopback, with a quorum of two and
 * short timeouts ({@code down-after-milliseconds 1000}, {@code failover-timeout 3000}), so that
 * a test can kill the master and see the replica promoted in seconds. Not thread-safe: one test
 * drives it.
 *
 * <pre>{@code
 * try (RedisSentinels redis = RedisSentinels.start()) {
 *   String uri = redis.uri();   // redis-sentinel://127.0.0.1:p1,...?sentinelMasterId=lb4j
 *   redis.master().kill();
 *   redis.awaitMasterOtherThan(oldPort, Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class RedisSentinels implements AutoCloseable {

  /** The name the sentinels know the master by. */
  public static final String MASTER_NAME = "lb4j";

  private static final int SENTINELS = 3;

  private final Path dir;
  private final List<RedisNode> servers = new ArrayList<>();
  private final List<RedisNode> sentinels = new ArrayList<>();

  private RedisSentinels(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts the master, the replica and the sentinels, and waits until the replica is in sync and
   * every sentinel knows the replica and the other sentinels (without which no failover happens).
   *
   * @throws IllegalStateException if the binaries are missing or the set does not form in 30 s
   */
  public static RedisSentinels start() {
    Path dir;
    try {
      Files.createDirectories(Path.of("target"));
      dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "redis-sentinel-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisSentinels set = new RedisSentinels(dir);
    try {
      RedisNode master = RedisNode.start(RedisNode.freePort(), List.of());
      set.servers.add(master);
      set.servers.add(RedisNode.start(RedisNode.freePort(),
          List.of("--replicaof", "127.0.0.1", Integer.toString(master.port()))));
      // A sentinel learns of replicas from the master's INFO, which it reads every ten seconds:
      // one in sync before the sentinels start is known at their first look.
      set.awaitReplicaInSync(Duration.ofSeconds(30));
      for (int i = 0; i < SENTINELS; i++) {
        int port = RedisNode.freePort();
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        Files.writeString(conf, """
            port %d
            bind 127.0.0.1
            dir %s
            sentinel monitor %s 127.0.0.1 %d 2
            sentinel down-after-milliseconds %s 1000
            sentinel failover-timeout %s 3000
            sentinel parallel-syncs %s 1
            """.formatted(port, dir, MASTER_NAME, master.port(), MASTER_NAME, MASTER_NAME,
            MASTER_NAME));
        set.sentinels.add(RedisNode.startSentinel(port, conf));
      }
      set.awaitFormed(Duration.ofSeconds(30));
      return set;
    } catch (IOException e) {
      set.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      set.close();
      throw e;
    }
  }

  /** Returns Lettuce's URI of the set: {@code redis-sentinel://127.0.0.1:p1,...?sentinelMasterId=lb4j}. */
  public String uri() {
    return "redis-sentinel://"
        + sentinels.stream().map(s -> "127.0.0.1:" + s.port()).collect(Collectors.joining(","))
        + "?sentinelMasterId=" + MASTER_NAME;
  }

  /** Returns the server that the sentinels name as master now. */
  public RedisNode master() {
    int port = masterPort();
    return servers.stream().filter(s -> s.port() == port).findFirst()
        .orElseThrow(() -> new IllegalStateException("sentinels name an unknown master " + port));
  }

  /** Returns the port the first live sentinel names as the master's. */
  public int masterPort() {
    RedisNode sentinel = sentinels.stream().filter(RedisNode::alive).findFirst()
        .orElseThrow(() -> new IllegalStateException("no sentinel runs"));
    String[] reply = sentinel.cli("sentinel", "get-master-addr-by-name", MASTER_NAME).trim().split("\\s+");
    return Integer.parseInt(reply[reply.length - 1]);
  }

  /**
   * Waits until every sentinel names a master other than {@code oldPort}, and that master takes
   * writes.
   *
   * @throws IllegalStateException if the time is up
   */
  public void awaitMasterOtherThan(int oldPort, Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!promoted(oldPort)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("no failover from " + oldPort + " after " + atMost + " in " + dir);
      }
      RedisNode.sleepBriefly();
    }
  }

  private boolean promoted(int oldPort) {
    try {
      for (RedisNode sentinel : sentinels) {
        String[] reply = sentinel.cli("sentinel", "get-master-addr-by-name", MASTER_NAME)
            .trim().split("\\s+");
        if (Integer.parseInt(reply[reply.length - 1]) == oldPort) {
          return false;
        }
      }
      return master().cli("role").startsWith("master");
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void awaitReplicaInSync(Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!servers.get(1).cli("info", "replication").contains("master_link_status:up")) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("replica not in sync after " + atMost + " in " + dir);
      }
      RedisNode.sleepBriefly();
    }
  }

  private void awaitFormed(Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!formed()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("sentinel set not formed after " + atMost + " in " + dir);
      }
      RedisNode.sleepBriefly();
    }
  }

  private boolean formed() {
    try {
      if (!servers.get(1).cli("info", "replication").contains("master_link_status:up")) {
        return false;
      }
      for (RedisNode sentinel : sentinels) {
        String master = sentinel.cli("sentinel", "master", MASTER_NAME);
        if (!field(master, "num-slaves").equals("1")
            || !field(master, "num-other-sentinels").equals(Integer.toString(SENTINELS - 1))) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Reads a field of redis-cli's flat reply, one key or value a line. */
  private static String field(String reply, String name) {
    String[] lines = reply.split("\n");
    for (int i = 0; i + 1 < lines.length; i++) {
      if (lines[i].trim().equals(name)) {
        return lines[i + 1].trim();
      }
    }
    return "";
  }

  /** Kills the sentinels and the servers ({@code SIGKILL}) and deletes the files. */
  @Override
  public void close() {
    sentinels.forEach(RedisNode::kill);
    servers.forEach(RedisNode::kill);
    Folders.deleteQuietly(dir);
  }

}
