package io.lb4j.ratelimit.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RedisRateLimiter}: Bucket4j's compare-and-swap buckets on one Lettuce connection, and
 * a {@link LocalRateLimiter} holding only the caps.
 *
 * <p>Lettuce is told to reject commands while disconnected instead of queueing them, so that an
 * outage costs a decision no time at all once the connection is known to be down, and to time out
 * each command, so that a Redis that stops answering costs at most the command timeout.
 */
final class LettuceRateLimiter implements RedisRateLimiter {

  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);

  /** Keys outlive the moment their bucket is full again by this, against clock skew between instances. */
  private static final Duration KEEP_FULL_BUCKETS = Duration.ofSeconds(10);
  private static final Duration MIN_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);
  private static final long CONNECT_RETRY_NANOS = MAX_RECONNECT_DELAY.toNanos();

  private final RedisURI uri;
  private final String keyPrefix;
  private final FailureMode failureMode;
  private final Duration commandTimeout;
  private final Duration connectTimeout;
  private final LocalRateLimiter caps;
  private final ClientResources resources;
  private final RedisClient client;
  private final RedisHealth health;
  private final LongAdder rateRefusals = new LongAdder();
  private final Decision unreachableRefusal =
      Decision.rateLimited("redis unreachable (fail-closed)", Duration.ZERO);
  private final Object updating = new Object();
  private final Cache<String, SharedBucket> proxies;
  private volatile RedisPolicyTable table;

  private final Object connectionLock = new Object();
  private final AtomicBoolean connecting = new AtomicBoolean();
  private volatile long nextConnectNanos;
  private volatile StatefulRedisConnection<byte[], byte[]> connection;
  private volatile AsyncProxyManager<byte[]> buckets;
  private final AtomicBoolean closed = new AtomicBoolean();

  LettuceRateLimiter(
      RedisURI uri,
      String keyPrefix,
      FailureMode failureMode,
      Duration commandTimeout,
      ClientLimits limits,
      LocalRateLimiter caps,
      LongSupplier nanoClock,
      Duration expireAfterIdle,
      long maximumClients) {
    this.uri = uri;
    this.keyPrefix = keyPrefix;
    this.failureMode = failureMode;
    this.commandTimeout = commandTimeout;
    this.connectTimeout = commandTimeout.compareTo(MIN_CONNECT_TIMEOUT) > 0 ? commandTimeout : MIN_CONNECT_TIMEOUT;
    this.caps = caps;
    this.proxies = Caffeine.newBuilder()
        .ticker(nanoClock::getAsLong)
        .executor(Runnable::run)
        .expireAfterAccess(expireAfterIdle)
        .maximumSize(maximumClients)
        .build();
    this.table = RedisPolicyTable.first(limits);
    // Host and port only: the URI may carry a password.
    this.health = new RedisHealth(uri.getHost() + ":" + uri.getPort(), failureMode);
    this.resources = DefaultClientResources.builder()
        .ioThreadPoolSize(DefaultClientResources.MIN_IO_THREADS)
        .computationThreadPoolSize(DefaultClientResources.MIN_COMPUTATION_THREADS)
        .reconnectDelay(Delay.exponential(
            Duration.ofMillis(10), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
        .build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
        .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
        .build());
    connectAtStart();
  }

  private void connectAtStart() {
    connecting.set(true);
    try {
      connect().get(connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      health.failed(e);
    } catch (ExecutionException | TimeoutException e) {
      // A connection that opens after all is still installed, by connect()'s own callback.
      health.failed(e);
    }
  }

  /** Starts a connection attempt if none is open or under way and the last one is a while ago. */
  private void connectInBackground() {
    if (connection != null || closed.get() || System.nanoTime() - nextConnectNanos < 0
        || !connecting.compareAndSet(false, true)) {
      return;
    }
    connect();
  }

  /** Opens a connection and installs it when it opens; the caller has set {@code connecting}. */
  private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connect() {
    nextConnectNanos = System.nanoTime() + CONNECT_RETRY_NANOS;
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> opening =
        client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
    opening.whenComplete((opened, error) -> {
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
    return opening;
  }

  private void install(StatefulRedisConnection<byte[], byte[]> opened) {
    synchronized (connectionLock) {
      if (connection != null || closed.get()) {
        opened.closeAsync();
        return;
      }
      // Once a connection has been open, Lettuce reconnects it by itself after any outage.
      buckets = Bucket4jLettuce.casBasedBuilder(opened)
          .expirationAfterWrite(
              ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKETS))
          .requestTimeout(commandTimeout)
          .build()
          .asAsync();
      connection = opened;
    }
  }

  @Override
  public CompletionStage<Decision> acquire(ClientIdentity identity, String upstream) {
    String cn = identity.commonName();
    RedisPolicyTable.Policy policy = table.policyFor(cn);
    CompletionStage<Decision> capped = caps.acquire(identity, upstream);
    if (policy.configuration() == null || capped != RateLimiter.ADMITTED) {
      // No shared rate to ask about, or the local cap refused: Redis is not needed.
      return capped;
    }
    AsyncProxyManager<byte[]> buckets = this.buckets;
    if (buckets == null) {
      connectInBackground();
      return CompletableFuture.completedFuture(unreachable(identity, upstream, notConnected()));
    }
    CompletableFuture<ConsumptionProbe> answer;
    try {
      answer = bucketOf(cn, policy, buckets).tryConsumeAndReturnRemaining(1);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(unreachable(identity, upstream, e));
    }
    return answer.handle((probe, error) -> {
      if (error != null) {
        return unreachable(identity, upstream, error);
      }
      health.answered();
      if (probe.isConsumed()) {
        return Decision.admit();
      }
      caps.release(identity, upstream);
      rateRefusals.increment();
      return Decision.rateLimited(
          policy.refusalDetail(), Duration.ofNanos(probe.getNanosToWaitForRefill()));
    });
  }

  /**
   * Returns the client's bucket proxy, built once per client and limit: its batching merges the
   * concurrent decisions of one client into one compare-and-swap, where separate proxies would
   * race each other's swaps (and retry) over the same key.
   */
  private AsyncBucketProxy bucketOf(
      String cn, RedisPolicyTable.Policy policy, AsyncProxyManager<byte[]> buckets) {
    SharedBucket known = proxies.getIfPresent(cn);
    if (known != null && known.policy == policy && known.buckets == buckets) {
      return known.proxy;
    }
    AsyncBucketProxy proxy = buckets.builder()
        .withImplicitConfigurationReplacement(policy.version(), TokensInheritanceStrategy.AS_IS)
        .withOptimization(Optimizations.batching())
        .build(key(cn), policy.configuration());
    proxies.put(cn, new SharedBucket(policy, buckets, proxy));
    return proxy;
  }

  /** A client's bucket proxy, and what it was built for. */
  private record SharedBucket(
      RedisPolicyTable.Policy policy, AsyncProxyManager<byte[]> buckets, AsyncBucketProxy proxy) {}

  private Decision unreachable(ClientIdentity identity, String upstream, Throwable error) {
    health.failed(error);
    if (failureMode == FailureMode.FAIL_OPEN) {
      return Decision.admit();
    }
    caps.release(identity, upstream);
    return unreachableRefusal;
  }

  private Throwable notConnected() {
    return new IllegalStateException(closed.get() ? "limiter is closed" : "not connected to redis yet");
  }

  private byte[] key(String commonName) {
    return (keyPrefix + commonName).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void release(ClientIdentity identity, String upstream) {
    caps.release(identity, upstream);
  }

  @Override
  public ClientLimits limits() {
    return table.limits;
  }

  @Override
  public void updateLimits(ClientLimits limits) {
    Objects.requireNonNull(limits, "limits");
    synchronized (updating) {
      table = table.next(limits);
      caps.updateLimits(limits.map(ClientLimit::withoutRate));
    }
  }

  @Override
  public boolean redisAvailable() {
    return health.available();
  }

  @Override
  public long redisFailures() {
    return health.failures();
  }

  @Override
  public long rateRefusals() {
    return rateRefusals.sum();
  }

  @Override
  public long concurrencyRefusals() {
    return caps.concurrencyRefusals();
  }

  @Override
  public long retainedClients() {
    return caps.retainedClients();
  }

  @Override
  public int connectionsInUse(String commonName) {
    return caps.connectionsInUse(commonName);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    StatefulRedisConnection<byte[], byte[]> open;
    synchronized (connectionLock) {
      open = connection;
    }
    if (open != null) {
      open.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }

  @Override
  public String toString() {
    return "RedisRateLimiter[" + uri.getHost() + ":" + uri.getPort() + ", " + keyPrefix + ", "
        + failureMode + ", " + table.limits + "]";
  }
}
