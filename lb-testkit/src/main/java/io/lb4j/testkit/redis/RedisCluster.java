package io.lb4j.testkit.redis;

import io.lb4j.testkit.data.Folders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Redis Cluster of three masters with one replica each, on loopback, made by
 * {@code redis-cli --cluster create}. A node that misses for a second is failed over to its
 * replica ({@code cluster-node-timeout 1000}), so a test can kill a master and see the cluster
 * heal in seconds. Not thread-safe: one test drives it.
 *
 * <pre>{@code
 * try (RedisCluster cluster = RedisCluster.start()) {
 *   RedisNode master = cluster.masterOf("{alice}");
 *   master.kill();
 *   cluster.awaitHealthy(Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class RedisCluster implements AutoCloseable {

  private static final int MASTERS = 3;

  private final List<RedisNode> nodes = new ArrayList<>();
  private final Path dir;

  private RedisCluster(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts six nodes and joins them into a cluster, waiting until every slot is served.
   *
   * @throws IllegalStateException if the binaries are missing or the cluster does not form
   */
  public static RedisCluster start() {
    Path dir;
    try {
      Files.createDirectories(Path.of("target"));
      dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "redis-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisCluster cluster = new RedisCluster(dir);
    try {
      for (int i = 0; i < 2 * MASTERS; i++) {
        int port = RedisNode.freeClusterPort();
        cluster.nodes.add(RedisNode.start(port, List.of(
            "--cluster-enabled", "yes",
            "--cluster-config-file", dir.resolve("nodes-" + port + ".conf").toString(),
            "--cluster-node-timeout", "1000",
            "--cluster-replica-validity-factor", "0",
            "--dir", dir.toString())));
      }
      List<String> create = new ArrayList<>(List.of("--cluster", "create"));
      for (RedisNode node : cluster.nodes) {
        create.add("127.0.0.1:" + node.port());
      }
      create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
      RedisNode.cli(cluster.nodes.get(0).port(), create.toArray(String[]::new));
      cluster.awaitHealthy(Duration.ofSeconds(30));
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Returns the seed URIs, one per node: {@code redis://127.0.0.1:port}. */
  public List<String> seeds() {
    return nodes.stream().map(RedisNode::uri).toList();
  }

  /** Returns every node, masters and replicas, in the order they were started. */
  public List<RedisNode> nodes() {
    return List.copyOf(nodes);
  }

  /**
   * Returns the node that is master of {@code key}'s slot now, as a live node tells it.
   *
   * @throws IllegalStateException if no live node names one
   */
  public RedisNode masterOf(String key) {
    RedisNode any = anyAlive();
    int slot = Integer.parseInt(any.cli("cluster", "keyslot", key).trim());
    for (String line : any.cli("cluster", "nodes").split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
        continue;
      }
      for (int i = 8; i < f.length; i++) {
        String[] range = f[i].split("-");
        if (range[0].startsWith("[")) {
          continue;
        }
        int from = Integer.parseInt(range[0]);
        int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
        if (slot >= from && slot <= to) {
          int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1).split("[@,]")[0]);
          return node(port).orElseThrow();
        }
      }
    }
    throw new IllegalStateException("no master serves slot " + slot);
  }

  /**
   * Waits until every live node reports {@code cluster_state:ok} and every live replica is in sync
   * with its master, or the time is up.
   *
   * @throws IllegalStateException if the time is up
   */
  public void awaitHealthy(Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!healthy()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("cluster not healthy after " + atMost + " in " + dir);
      }
      RedisNode.sleepBriefly();
    }
  }

  private boolean healthy() {
    for (RedisNode node : nodes) {
      if (!node.alive()) {
        continue;
      }
      try {
        if (!node.cli("cluster", "info").contains("cluster_state:ok")) {
          return false;
        }
        String role = node.cli("role");
        if (role.startsWith("slave") && !role.contains("connected")) {
          return false;
        }
      } catch (IllegalStateException e) {
        return false;
      }
    }
    return true;
  }

  private RedisNode anyAlive() {
    return nodes.stream().filter(RedisNode::alive).findFirst()
        .orElseThrow(() -> new IllegalStateException("no node of the cluster runs"));
  }

  private Optional<RedisNode> node(int port) {
    return nodes.stream().filter(n -> n.port() == port).findFirst();
  }

  /** Kills every node ({@code SIGKILL}: the cluster keeps nothing) and deletes its files. */
  @Override
  public void close() {
    nodes.forEach(RedisNode::kill);
    Folders.deleteQuietly(dir);
  }
}
