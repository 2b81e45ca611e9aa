package io.lb4j.ratelimit.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lb4j.ratelimit.PolicyTable;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The {@link RedisRateLimiter}: Bucket4j's compare-and-swap buckets in a {@link BucketStore}, and a
 * {@link LocalRateLimiter} holding only the caps.
 */
final class LettuceRateLimiter implements RedisRateLimiter {

  private final BucketStore store;
  private final String keyPrefix;
  private final FailureMode failureMode;
  private final LocalRateLimiter caps;
  private final Clock wallClock;
  private final RedisHealth health;
  private final LongAdder rateRefusals = new LongAdder();
  private final Decision unreachableRefusal =
      Decision.rateLimited("redis unreachable (fail-closed)", Duration.ZERO);
  private final Object updating = new Object();
  private final Cache<String, SharedBucket> proxies;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Guarded by {@code updating}. */
  private long lastVersion;
  private volatile PolicyTable<SharedPolicy> table;

  LettuceRateLimiter(
      BucketStore store,
      String keyPrefix,
      FailureMode failureMode,
      ClientLimits limits,
      LocalRateLimiter caps,
      Clock wallClock,
      LongSupplier nanoClock,
      Duration expireAfterIdle,
      long maximumClients) {
    this.store = store;
    this.keyPrefix = keyPrefix;
    this.failureMode = failureMode;
    this.caps = caps;
    this.wallClock = wallClock;
    this.proxies = Caffeine.newBuilder()
        .ticker(nanoClock::getAsLong)
        .executor(Runnable::run)
        .expireAfterAccess(expireAfterIdle)
        .maximumSize(maximumClients)
        .build();
    synchronized (updating) {
      long version = nextVersion();
      this.table = PolicyTable.of(limits, limit -> SharedPolicy.of(limit, version));
    }
    this.health = new RedisHealth(store.where(), failureMode);
    Throwable failure = store.start();
    if (failure != null) {
      health.failed(failure);
    }
  }

  /** Returns the version of a new generation of limits: now, and strictly after the last one. */
  private long nextVersion() {
    lastVersion = Math.max(lastVersion + 1, wallClock.millis());
    return lastVersion;
  }

  @Override
  public CompletionStage<Decision> acquire(ClientIdentity identity, String upstream) {
    String cn = identity.commonName();
    SharedPolicy policy = table.policyFor(cn);
    CompletionStage<Decision> capped = caps.acquire(identity, upstream);
    if (policy.configuration() == null || capped != RateLimiter.ADMITTED) {
      // No shared rate to ask about, or the local cap refused: Redis is not needed.
      return capped;
    }
    AsyncProxyManager<byte[]> buckets = store.buckets();
    if (buckets == null) {
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
      String cn, SharedPolicy policy, AsyncProxyManager<byte[]> buckets) {
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
      SharedPolicy policy, AsyncProxyManager<byte[]> buckets, AsyncBucketProxy proxy) {}

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
    return table.limits();
  }

  @Override
  public void updateLimits(ClientLimits limits) {
    Objects.requireNonNull(limits, "limits");
    synchronized (updating) {
      long version = nextVersion();
      table = table.next(limits, limit -> SharedPolicy.of(limit, version));
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

  // The local state is the caps' alone: this limiter keeps no count of its own.

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
    if (closed.compareAndSet(false, true)) {
      store.close();
    }
  }

  @Override
  public String toString() {
    return "RedisRateLimiter[" + store.where() + ", " + keyPrefix + ", " + failureMode + ", "
        + table.limits() + "]";
  }
}
