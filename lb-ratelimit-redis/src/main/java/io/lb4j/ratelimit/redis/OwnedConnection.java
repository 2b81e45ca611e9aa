package io.lb4j.ratelimit.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection lb4j opens from a URI, with its own Lettuce client and threads, and closes: to a
 * standalone Redis, to the master a Sentinel set names, or to a Redis Cluster.
 *
 * <p>Lettuce is told to reject commands while disconnected instead of queueing them, so that an
 * outage costs a decision no time at all once the connection is known to be down, and to time out
 * each command, so that a Redis that stops answering costs at most the command timeout. Once a
 * connection has been open, Lettuce reconnects it by itself after any outage; until the first one
 * opens, decisions start an attempt at most once a second.
 *
 * <p>Failover: through Sentinel, every reconnect asks the sentinels where the master is now, so the
 * connection follows a promoted replica as soon as the sentinels name it. On a Cluster, Lettuce
 * refreshes its view of the slots every {@link #CLUSTER_REFRESH_PERIOD} and at once on a
 * redirection or on repeated reconnects to a node, so a moved slot or a promoted replica is found
 * within seconds. Meanwhile commands to the lost master fail at once, and decisions follow the
 * failure mode.
 */
final class OwnedConnection implements BucketStore {

  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);

  private static final Duration MIN_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);
  private static final long CONNECT_RETRY_NANOS = MAX_RECONNECT_DELAY.toNanos();
  /** How often a Cluster connection asks the cluster for its slots, on top of adaptive refreshes. */
  static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(5);

  private final RedisTarget target;
  private final Duration commandTimeout;
  private final Duration connectTimeout;
  private final Clock wallClock;
  private final LongSupplier nanoClock;
  private final ClientResources resources;
  private final AbstractRedisClient client;

  private final Object connectionLock = new Object();
  private final AtomicBoolean connecting = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile long nextConnectNanos;
  private volatile StatefulConnection<byte[], byte[]> connection;
  private volatile RedisLink link;

  OwnedConnection(RedisTarget target, Duration commandTimeout, Clock wallClock, LongSupplier nanoClock) {
    this.target = target;
    this.commandTimeout = commandTimeout;
    this.connectTimeout =
        commandTimeout.compareTo(MIN_CONNECT_TIMEOUT) > 0 ? commandTimeout : MIN_CONNECT_TIMEOUT;
    this.wallClock = wallClock;
    this.nanoClock = nanoClock;
    this.resources = DefaultClientResources.builder()
        .ioThreadPoolSize(DefaultClientResources.MIN_IO_THREADS)
        .computationThreadPoolSize(DefaultClientResources.MIN_COMPUTATION_THREADS)
        .reconnectDelay(Delay.exponential(
            Duration.ofMillis(10), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
        .build();
    SocketOptions socket = SocketOptions.builder().connectTimeout(connectTimeout).build();
    if (target instanceof RedisTarget.Cluster cluster) {
      RedisClusterClient clusterClient = RedisClusterClient.create(resources, cluster.seeds());
      clusterClient.setOptions(ClusterClientOptions.builder()
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
          .socketOptions(socket)
          .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
              .enablePeriodicRefresh(CLUSTER_REFRESH_PERIOD)
              .enableAllAdaptiveRefreshTriggers()
              .adaptiveRefreshTriggersTimeout(MAX_RECONNECT_DELAY)
              .refreshTriggersReconnectAttempts(2)
              .build())
          .build());
      this.client = clusterClient;
    } else {
      RedisClient single = RedisClient.create(resources);
      single.setOptions(ClientOptions.builder()
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
          .socketOptions(socket)
          .build());
      this.client = single;
    }
  }

  @Override
  public Throwable start() {
    connecting.set(true);
    try {
      connect().get(connectTimeout.toMillis() * connectSteps() + 500, TimeUnit.MILLISECONDS);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    } catch (ExecutionException | TimeoutException e) {
      // A connection that opens after all is still installed, by connect()'s own callback.
      return e;
    }
  }

  /**
   * How many connects in a row opening a connection takes: one to a standalone Redis; a sentinel,
   * then the master; the seeds for the slots, then the nodes.
   */
  private int connectSteps() {
    if (target instanceof RedisTarget.Single single) {
      return single.uri().getSentinelMasterId() == null ? 1 : 2;
    }
    return 3;
  }

  @Override
  public RedisLink link() {
    RedisLink l = link;
    if (l == null) {
      connectInBackground();
    }
    return l;
  }

  /** Starts a connection attempt if none is open or under way and the last one is a while ago. */
  private void connectInBackground() {
    if (connection != null || closed.get() || nanoClock.getAsLong() - nextConnectNanos < 0
        || !connecting.compareAndSet(false, true)) {
      return;
    }
    connect();
  }

  /** Opens a connection and installs it when it opens; the caller has set {@code connecting}. */
  private CompletableFuture<? extends StatefulConnection<byte[], byte[]>> connect() {
    nextConnectNanos = nanoClock.getAsLong() + CONNECT_RETRY_NANOS;
    CompletableFuture<? extends StatefulConnection<byte[], byte[]>> opening;
    if (client instanceof RedisClusterClient cluster) {
      // A cluster client connects only once it knows the slots; learning them is a round of
      // CLUSTER NODES to the seeds.
      opening = cluster.refreshPartitionsAsync().toCompletableFuture()
          .thenCompose(known -> cluster.connectAsync(ByteArrayCodec.INSTANCE));
    } else {
      RedisTarget.Single single = (RedisTarget.Single) target;
      opening = ((RedisClient) client).connectAsync(ByteArrayCodec.INSTANCE, single.uri())
          .toCompletableFuture();
    }
    // The stage returned completes only once the connection is installed: start() waits on it,
    // so the first decision after it finds the buckets (waiting on the connect alone could
    // return before the install ran, and that decision would fail open).
    return opening.whenComplete((opened, error) -> {
      try {
        if (opened != null) {
          install(opened);
        } else {
          log.debug("connecting to redis failed: {}", error.toString());
        }
      } finally {
        connecting.set(false);
      }
    });
  }

  private void install(StatefulConnection<byte[], byte[]> opened) {
    synchronized (connectionLock) {
      if (connection != null || closed.get()) {
        opened.closeAsync();
        return;
      }
      // Lettuce's own command timeout (timeoutOptions above) bounds every request.
      link = RedisLink.of(opened, null, wallClock);
      connection = opened;
    }
  }

  @Override
  public String where() {
    return target.where();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    StatefulConnection<byte[], byte[]> open;
    synchronized (connectionLock) {
      link = null;
      open = connection;
    }
    if (open != null) {
      open.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
