package io.lb4j.ratelimit.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.lb4j.api.ByteBudget;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimitState;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.ratelimit.redis.BucketStore.RedisLink;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lb4j.ratelimit.PolicyTable;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RedisRateLimiter}: Bucket4j's compare-and-swap buckets in a {@link BucketStore}, the
 * fleet-wide caps of {@link FleetCaps} beside them, and a {@link LocalRateLimiter} holding this
 * instance's caps (which alone apply while Redis cannot be reached).
 */
final class LettuceRateLimiter implements RedisRateLimiter {

  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);

  private final BucketStore store;
  private final String keyPrefix;
  private final FailureMode failureMode;
  private final LocalRateLimiter caps;
  private final Clock wallClock;
  private final RedisHealth health;
  private final LongAdder rateRefusals = new LongAdder();
  private final LongAdder fleetRefusals = new LongAdder();
  private final Decision unreachableRefusal =
      Decision.refuse(RefusalReason.LIMITER_UNAVAILABLE, "redis unreachable (fail-closed)");
  private final FleetCaps fleet;
  private final String instanceId;
  private final ScheduledExecutorService renewals;
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
      long maximumClients,
      String instanceId,
      Duration leaseTime) {
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
    this.instanceId = instanceId;
    this.fleet = new FleetCaps(keyPrefix, instanceId, leaseTime);
    Throwable failure = store.start();
    if (failure != null) {
      health.failed(failure);
    } else {
      clearPreviousRun();
    }
    this.renewals = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb4j-redis-lease-" + instanceId);
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, leaseTime.toMillis() / 3);
    renewals.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Before the first decision, sets what an earlier run under this instance id still holds in
   * Redis to zero, waiting a bounded time; if Redis does not answer, those slots lapse with their
   * lease instead.
   */
  private void clearPreviousRun() {
    RedisLink link = store.link();
    if (link == null) {
      return;
    }
    try {
      int cleared = fleet.clearPreviousRun(link).get(CLEAR_WAIT_SECONDS, TimeUnit.SECONDS);
      if (cleared > 0) {
        log.info("instance {} restarted: released the slots of {} clients its previous run held",
            instanceId, cleared);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.debug("clearing the previous run of instance {} failed; its slots lapse with their lease: {}",
          instanceId, e.toString());
    }
  }

  private static final long CLEAR_WAIT_SECONDS = 5;

  /** Renews this instance's leases and puts Redis's counts right; on the lease thread. */
  private void renew() {
    try {
      RedisLink link = store.link();
      if (link != null) {
        fleet.renew(link, error -> log.debug("renewing the fleet lease failed: {}", error.toString()));
      }
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again: the lease must keep being renewed.
      log.warn("renewing the fleet lease failed", e);
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
    // This instance's own count first: it never exceeds the fleet's, so a client at its cap here
    // is refused without asking Redis, and it is the only cap while Redis cannot be reached.
    CompletionStage<Decision> capped = caps.acquire(identity, upstream);
    boolean fleetCapped = policy.fleetRefusal() != null;
    if ((policy.configuration() == null && !fleetCapped) || capped != RateLimiter.ADMITTED) {
      return capped;
    }
    RedisLink link = store.link();
    if (link == null) {
      return CompletableFuture.completedFuture(
          unreachable(identity, upstream, fleetCapped, notConnected()));
    }
    if (!fleetCapped) {
      return takeToken(identity, upstream, policy, link, false);
    }
    int cap = policy.limit().maxConcurrent();
    return fleet.acquire(cn, cap, link).handle((taken, error) -> {
      if (error != null) {
        return CompletableFuture.completedFuture(
            unreachable(identity, upstream, true, unwrap(error)));
      }
      answered();
      if (!taken) {
        caps.release(identity, upstream);
        fleetRefusals.increment();
        return CompletableFuture.completedFuture(policy.fleetRefusal());
      }
      if (policy.configuration() == null) {
        return RateLimiter.ADMITTED;
      }
      return takeToken(identity, upstream, policy, link, true);
    }).thenCompose(decision -> decision);
  }

  /**
   * Takes a token from the client's shared bucket; on a refusal gives back the slots taken.
   *
   * @param holdsFleetSlot whether a fleet slot was taken for this connection
   */
  private CompletionStage<Decision> takeToken(
      ClientIdentity identity, String upstream, SharedPolicy policy, RedisLink link,
      boolean holdsFleetSlot) {
    CompletableFuture<ConsumptionProbe> answer;
    try {
      answer = bucketOf(identity.commonName(), policy, link.buckets())
          .tryConsumeAndReturnRemaining(1);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(
          unreachableAfterSlot(identity, upstream, holdsFleetSlot, e));
    }
    return answer.handle((probe, error) -> {
      if (error != null) {
        return unreachableAfterSlot(identity, upstream, holdsFleetSlot, error);
      }
      answered();
      if (probe.isConsumed()) {
        return Decision.admit();
      }
      if (holdsFleetSlot) {
        release(identity, upstream);
      } else {
        caps.release(identity, upstream);
      }
      rateRefusals.increment();
      return Decision.rateLimited(
          policy.refusalDetail(), Duration.ofNanos(probe.getNanosToWaitForRefill()));
    });
  }

  private static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof FleetCaps.FleetUnavailable)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
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

  /**
   * Follows the failure mode for a connection that holds its local slot and no fleet slot: open,
   * it is admitted and counted as this instance's (Redis learns of it from the next renewal);
   * closed, the local slot is given back.
   */
  private Decision unreachable(
      ClientIdentity identity, String upstream, boolean fleetCapped, Throwable error) {
    health.failed(error);
    if (failureMode == FailureMode.FAIL_OPEN) {
      if (fleetCapped) {
        fleet.admittedWithoutRedis(identity.commonName());
      }
      return Decision.admit();
    }
    caps.release(identity, upstream);
    return unreachableRefusal;
  }

  /** As {@link #unreachable}, for a connection that may already hold a fleet slot. */
  private Decision unreachableAfterSlot(
      ClientIdentity identity, String upstream, boolean holdsFleetSlot, Throwable error) {
    if (!holdsFleetSlot) {
      return unreachable(identity, upstream, false, error);
    }
    health.failed(error);
    if (failureMode == FailureMode.FAIL_OPEN) {
      return Decision.admit();
    }
    release(identity, upstream);
    return unreachableRefusal;
  }

  /** Notes an answer; the first after an outage puts the fleet's counts right at once. */
  private void answered() {
    if (health.answered()) {
      try {
        renewals.execute(this::renew);
      } catch (RejectedExecutionException e) {
        // Closed meanwhile: nothing to renew.
      }
    }
  }

  private Throwable notConnected() {
    return new IllegalStateException(closed.get() ? "limiter is closed" : "not connected to redis yet");
  }

  /** The key of a client's bucket: its CN as the hash tag, the slot of its fleet holdings too. */
  private byte[] key(String commonName) {
    return (keyPrefix + "{" + commonName + "}").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void release(ClientIdentity identity, String upstream) {
    caps.release(identity, upstream);
    // Whether the connection took a fleet slot is what this instance holds, not today's limit: a
    // limit changed since the connection was admitted must not leak or double-free its slot.
    fleet.release(identity.commonName(), store.link());
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

  // Bandwidth limits are kept per instance, beside the caps: a byte bucket in Redis would cost a
  // round trip per read. A client connected to several instances gets the limit from each.
  @Override
  public ByteBudget bytesFromClient(ClientIdentity identity) {
    return caps.bytesFromClient(identity);
  }

  @Override
  public ByteBudget bytesToClient(ClientIdentity identity) {
    return caps.bytesToClient(identity);
  }

  // The local state is the caps' alone: this limiter keeps no count of its own.

  @Override
  public long concurrencyRefusals() {
    return caps.concurrencyRefusals() + fleetRefusals.sum();
  }

  @Override
  public String instanceId() {
    return instanceId;
  }

  @Override
  public ConnectionCounts connectionCounts(String commonName) {
    return new ConnectionCounts(caps.connectionsInUse(commonName), fleet.lastFleetCount(commonName));
  }

  @Override
  public CompletionStage<ConnectionCounts> fetchConnectionCounts(String commonName) {
    Objects.requireNonNull(commonName, "commonName");
    RedisLink link = store.link();
    if (link == null) {
      return CompletableFuture.completedFuture(
          new ConnectionCounts(caps.connectionsInUse(commonName), -1));
    }
    return fleet.fleetCount(commonName, link).handle((count, error) -> new ConnectionCounts(
        caps.connectionsInUse(commonName), error == null ? count : -1));
  }

  /**
   * Reads the client's shared bucket without taking a token (a bucket not in Redis is reported
   * full, as a new client starts, and is not created) and its count across the fleet when it has
   * a cap; the rest is this instance's. Waits for Redis on the caller's thread, boundedly.
   */
  @Override
  public Optional<RateLimitState> state(String client) {
    Objects.requireNonNull(client, "client");
    SharedPolicy policy = table.policyFor(client);
    boolean rated = policy.configuration() != null;
    boolean fleetCapped = policy.fleetRefusal() != null;
    RateLimitState local = caps.state(client).orElseThrow();
    if (!rated && !fleetCapped) {
      return Optional.of(local);
    }
    RedisLink link = linkFor(client, "read");
    CompletableFuture<Long> tokens = rated
        ? link.buckets().getProxyConfiguration(key(client)).thenCompose(stored -> stored.isEmpty()
            ? CompletableFuture.completedFuture(-1L)
            : bucketOf(client, policy, link.buckets()).getAvailableTokens())
        : CompletableFuture.completedFuture(-1L);
    CompletableFuture<Long> count = fleetCapped
        ? fleet.fleetCount(client, link)
        : CompletableFuture.completedFuture(-1L);
    long stored = await(tokens, client, "read");
    long fleetCount = await(count, client, "read");
    OptionalLong tokensLeft = !rated
        ? OptionalLong.empty()
        : OptionalLong.of(stored >= 0 ? stored : policy.limit().burst());
    return Optional.of(new RateLimitState(
        client,
        local.remembered() || stored >= 0 || fleetCount > 0,
        tokensLeft,
        local.connectionsHeld(),
        local.maxConcurrent(),
        fleetCount >= 0 ? OptionalLong.of(fleetCount) : OptionalLong.empty()));
  }

  /**
   * Deletes the client's shared bucket, so that its next connection, through any instance, finds
   * it full as a new client would; the fleet's counts of its connections stay. Waits for Redis on
   * the caller's thread, boundedly.
   */
  @Override
  public boolean reset(String client) {
    Objects.requireNonNull(client, "client");
    if (table.policyFor(client).configuration() != null) {
      await(linkFor(client, "reset").buckets().removeProxy(key(client)), client, "reset");
    }
    caps.reset(client);
    log.debug("shared rate limit state of {} reset", client);
    return true;
  }

  private RedisLink linkFor(String client, String what) {
    RedisLink link = store.link();
    if (link == null) {
      throw new IllegalStateException("rate limit state of " + client + " cannot be " + what
          + ": " + notConnected().getMessage() + " " + store.where());
    }
    return link;
  }

  /** How long an operator's read or reset waits for Redis, beyond each command's own timeout. */
  private static final long ADMIN_WAIT_SECONDS = 5;

  private <T> T await(CompletableFuture<T> answer, String client, String what) {
    try {
      // Not a decision: the health and the failure count stay the decisions' own.
      return answer.get(ADMIN_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the rate limit state of " + client
          + " was " + what, e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? unwrap(e.getCause()) : e;
      throw new IllegalStateException("rate limit state of " + client + " cannot be " + what
          + ": redis " + store.where() + " did not answer: " + cause, cause);
    }
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
      renewals.shutdownNow();
      store.close();
    }
  }

  @Override
  public String toString() {
    return "RedisRateLimiter[" + store.where() + ", " + keyPrefix + ", " + instanceId + ", "
        + failureMode + ", "
        + table.limits() + "]";
  }
}
