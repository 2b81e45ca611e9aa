package io.lb4j.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.lb4j.api.ByteBudget;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimitState;
import io.lb4j.api.RateLimiter;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LocalRateLimiter}: a Caffeine cache of {@link ClientState} by common name.
 *
 * <p>Fast path: a client that already has a connection open takes its slot with a CAS and its
 * token from a lock-free bucket, with no lock. Moving a client's count off or onto zero goes
 * through the cache's {@code compute}, which is what keeps an in-use client from being evicted
 * (see {@link ClientState}).
 */
final class CaffeineRateLimiter implements LocalRateLimiter {

  private static final Logger log = LoggerFactory.getLogger(LocalRateLimiter.class);

  private final TimeMeter clock;
  private final long expireAfterIdleNanos;
  private final Cache<String, ClientState> clients;
  private final Object updating = new Object();
  private volatile PolicyTable<Policy> table;
  private final LongAdder rateRefusals = new LongAdder();
  private final LongAdder concurrencyRefusals = new LongAdder();

  CaffeineRateLimiter(
      ClientLimits limits, LongSupplier nanoClock, Duration expireAfterIdle, long maximumClients) {
    this.clock = new InjectedTimeMeter(nanoClock);
    this.expireAfterIdleNanos = expireAfterIdle.toNanos();
    this.table = PolicyTable.of(limits, this::prepare);
    this.clients = Caffeine.newBuilder()
        .ticker(nanoClock::getAsLong)
        // Maintenance on the calling thread: handing it to the common pool after each count change
        // cost more than doing it (about 0.6 us a connection, measured), and the limiter then
        // does not depend on a pool the application may saturate. The price: a mass expiry is
        // processed by whichever thread next runs maintenance.
        .executor(Runnable::run)
        .expireAfter(new IdleExpiry())
        // In-use clients weigh nothing: the size bound never evicts them and never counts them.
        .maximumWeight(maximumClients)
        .weigher((String cn, ClientState s) -> s.inUse() > 0 ? 0 : 1)
        .build();
  }

  private Policy prepare(ClientLimit limit) {
    return new Policy(limit, expireAfterIdleNanos);
  }

  @Override
  public CompletionStage<Decision> acquire(ClientIdentity identity, String upstream) {
    String cn = identity.commonName();
    Policy policy = table.policyFor(cn);
    ClientState state = clients.getIfPresent(cn);
    if (state != null) {
      CompletionStage<Decision> decision = admit(cn, state, policy, false);
      if (decision != null) {
        return decision;
      }
    }
    AdmitUnderLock admitting = new AdmitUnderLock(policy);
    clients.asMap().compute(cn, admitting);
    return admitting.decision;
  }

  /**
   * Decides for one client. Returns null when the decision must move the count off zero and the
   * caller does not hold the cache's lock for this client.
   */
  private CompletionStage<Decision> admit(
      String cn, ClientState state, Policy policy, boolean locked) {
    switch (state.tryTakeSlot(policy.limit.maxConcurrent(), locked)) {
      case NEEDS_LOCK:
        return null;
      case FULL:
        concurrencyRefusals.increment();
        return policy.concurrencyRefusal;
      case TAKEN:
      default:
        break;
    }
    ConsumptionProbe refused = state.tryTakeToken(policy, clock);
    if (refused == null) {
      return RateLimiter.ADMITTED;
    }
    if (locked) {
      state.tryGiveBackSlot(true);
    } else {
      giveBackSlot(cn, state);
    }
    rateRefusals.increment();
    return CompletableFuture.completedStage(Decision.rateLimited(
        policy.rateRefusalDetail, Duration.ofNanos(refused.getNanosToWaitForRefill())));
  }

  @Override
  public void release(ClientIdentity identity, String upstream) {
    String cn = identity.commonName();
    // An in-use client is never expired, so a null here means nothing of it is in use.
    ClientState state = clients.getIfPresent(cn);
    if (state == null) {
      log.debug("release of {} matches no admitted connection; ignored", cn);
      return;
    }
    giveBackSlot(cn, state);
  }

  private void giveBackSlot(String cn, ClientState state) {
    if (!state.tryGiveBackSlot(false)) {
      clients.asMap().computeIfPresent(cn, (k, s) -> {
        s.tryGiveBackSlot(true);
        return s;
      });
    }
  }

  @Override
  public ByteBudget bytesFromClient(ClientIdentity identity) {
    ByteBuckets b = byteBuckets(identity);
    return b == null ? null : b.fromClient;
  }

  @Override
  public ByteBudget bytesToClient(ClientIdentity identity) {
    ByteBuckets b = byteBuckets(identity);
    return b == null ? null : b.toClient;
  }

  /** The client's byte buckets; it holds an admitted connection, so its state is in the cache. */
  private ByteBuckets byteBuckets(ClientIdentity identity) {
    String cn = identity.commonName();
    Policy policy = table.policyFor(cn);
    if (policy.bytesConfiguration == null) {
      return null;
    }
    ClientState state = clients.policy().getIfPresentQuietly(cn);
    return state == null ? null : state.byteBuckets(policy, clock);
  }

  @Override
  public ClientLimits limits() {
    return table.limits();
  }

  @Override
  public void updateLimits(ClientLimits limits) {
    Objects.requireNonNull(limits, "limits");
    synchronized (updating) {
      table = table.next(limits, this::prepare);
    }
    log.debug("rate limits replaced: default {}, {} overrides", limits.defaults(), limits.overrides().size());
  }

  @Override
  public long retainedClients() {
    clients.cleanUp();
    return clients.estimatedSize();
  }

  @Override
  public long rateRefusals() {
    return rateRefusals.sum();
  }

  @Override
  public long concurrencyRefusals() {
    return concurrencyRefusals.sum();
  }

  @Override
  public int connectionsInUse(String commonName) {
    ClientState state = clients.policy().getIfPresentQuietly(commonName);
    return state == null ? 0 : state.inUse();
  }

  @Override
  public Optional<RateLimitState> state(String client) {
    Objects.requireNonNull(client, "client");
    Policy policy = table.policyFor(client);
    ClientState state = clients.policy().getIfPresentQuietly(client);
    long tokens;
    int held;
    if (state == null) {
      tokens = policy.limit.hasRateLimit() ? policy.limit.burst() : -1;
      held = 0;
    } else {
      tokens = state.tokensLeft(policy, clock);
      held = state.inUse();
    }
    return Optional.of(new RateLimitState(
        client,
        state != null,
        tokens < 0 ? OptionalLong.empty() : OptionalLong.of(tokens),
        held,
        policy.limit.maxConcurrent()));
  }

  @Override
  public boolean reset(String client) {
    Objects.requireNonNull(client, "client");
    Policy policy = table.policyFor(client);
    ClientState state = clients.policy().getIfPresentQuietly(client);
    if (state != null) {
      state.refill(policy, clock);
    }
    log.debug("rate limit state of {} reset", client);
    return true;
  }

  @Override
  public String toString() {
    return "LocalRateLimiter" + table.limits();
  }

  /** The compute step of an acquire that must hold the client's lock; remembers its decision. */
  private final class AdmitUnderLock implements BiFunction<String, ClientState, ClientState> {
    private final Policy policy;
    CompletionStage<Decision> decision;

    AdmitUnderLock(Policy policy) {
      this.policy = policy;
    }

    @Override
    public ClientState apply(String cn, ClientState existing) {
      ClientState state = existing != null ? existing : new ClientState(policy, clock);
      decision = admit(cn, state, policy, true);
      return state;
    }
  }

  /**
   * Expire-after-access, except that a client with open connections never expires. Caffeine asks
   * again after every compute, which is where the count crosses zero.
   */
  private static final class IdleExpiry implements Expiry<String, ClientState> {
    @Override
    public long expireAfterCreate(String cn, ClientState state, long now) {
      return keep(state);
    }

    @Override
    public long expireAfterUpdate(String cn, ClientState state, long now, long currentDuration) {
      return keep(state);
    }

    @Override
    public long expireAfterRead(String cn, ClientState state, long now, long currentDuration) {
      // Returning the current duration for a pinned entry spares Caffeine a CAS on every read.
      return state.inUse() > 0 ? currentDuration : state.policy().keepIdleNanos;
    }

    private static long keep(ClientState state) {
      return state.inUse() > 0 ? Long.MAX_VALUE : state.policy().keepIdleNanos;
    }
  }

  /** Bucket4j's clock, read from the injected nano clock. */
  private record InjectedTimeMeter(LongSupplier nanoClock) implements TimeMeter {
    @Override
    public long currentTimeNanos() {
      return nanoClock.getAsLong();
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }
  }
}
