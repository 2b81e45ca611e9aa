package io.lb4j.ratelimit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What the limiter remembers of one client: its token bucket and how many of its connections are
 * open. Thread-safe.
 *
 * <h2>The in-use count and eviction</h2>
 * The count may change without a lock only while it stays at 1 or above (1 → 2, 3 → 2, ...).
 * Crossing zero (0 → 1, 1 → 0) happens only inside the cache's {@code compute} for this client,
 * which Caffeine runs under the same lock it takes to evict the entry, and after which it asks
 * the expiry and weigher again. So "in use" and "pinned in the cache" change together: an entry
 * with open connections is never expired or evicted, and its count is never lost.
 */
final class ClientState {

  private static final VarHandle IN_USE;

  static {
    try {
      IN_USE = MethodHandles.lookup().findVarHandle(ClientState.class, "inUse", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The policy and the bucket built for it, swapped together so readers never mix two limits. */
  private record Shape(Policy policy, Bucket bucket) {}

  private volatile Shape shape;

  /** The two directions' byte buckets, made when a connection first asks for them. */
  private volatile ByteBuckets bytes;
  @SuppressWarnings("unused") // through IN_USE
  private volatile int inUse;

  ClientState(Policy policy, TimeMeter clock) {
    this.shape = new Shape(policy, newBucket(policy, clock));
  }

  /** The outcome of {@link #tryTakeSlot}. */
  enum Slot {
    TAKEN,
    FULL,
    /** Taking it would move the count off zero, which needs the cache's lock. */
    NEEDS_LOCK
  }

  /**
   * Takes one concurrent-connection slot unless the cap is reached.
   *
   * @param cap the cap, 0 for none
   * @param locked whether the caller holds the cache's lock for this client
   */
  Slot tryTakeSlot(int cap, boolean locked) {
    for (;;) {
      int c = inUse;
      if (cap > 0 && c >= cap) {
        return Slot.FULL;
      }
      if (c == 0 && !locked) {
        return Slot.NEEDS_LOCK;
      }
      if (IN_USE.compareAndSet(this, c, c + 1)) {
        return Slot.TAKEN;
      }
    }
  }

  /**
   * Gives back one slot. A release with no slot taken leaves the count at zero.
   *
   * @param locked whether the caller holds the cache's lock for this client
   * @return false if the count is 1 and the caller does not hold the lock: call again holding it
   */
  boolean tryGiveBackSlot(boolean locked) {
    for (;;) {
      int c = inUse;
      if (c == 0) {
        return true;
      }
      if (c == 1 && !locked) {
        return false;
      }
      if (IN_USE.compareAndSet(this, c, c - 1)) {
        return true;
      }
    }
  }

  int inUse() {
    return inUse;
  }

  /**
   * Takes one token from the bucket of {@code policy}, or says how long until one is there.
   *
   * @return null if taken (or there is no rate limit), else the refusing probe
   */
  ConsumptionProbe tryTakeToken(Policy policy, TimeMeter clock) {
    Bucket bucket = shapeFor(policy, clock).bucket;
    if (bucket == null) {
      return null;
    }
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? null : probe;
  }

  /**
   * Returns this client's byte buckets under {@code policy}, or null when it has no bandwidth
   * limit. Buckets already handed out stay the same objects across limit changes, so that every
   * connection of the client keeps spending from one pair.
   */
  ByteBuckets byteBuckets(Policy policy, TimeMeter clock) {
    shapeFor(policy, clock);
    if (policy.bytesConfiguration == null) {
      return null;
    }
    ByteBuckets b = bytes;
    return b != null ? b : makeByteBuckets(policy, clock);
  }

  private synchronized ByteBuckets makeByteBuckets(Policy policy, TimeMeter clock) {
    if (bytes == null) {
      bytes = new ByteBuckets(policy.bytesConfiguration, clock);
    }
    return bytes;
  }

  /**
   * Returns the tokens left in the bucket of {@code policy}, or -1 when it has no rate limit.
   * Takes none.
   */
  long tokensLeft(Policy policy, TimeMeter clock) {
    Bucket bucket = shapeFor(policy, clock).bucket;
    return bucket == null ? -1 : bucket.getAvailableTokens();
  }

  /** Fills the bucket of {@code policy} up to its burst, as an operator's reset asks. */
  void refill(Policy policy, TimeMeter clock) {
    Bucket bucket = shapeFor(policy, clock).bucket;
    if (bucket != null) {
      bucket.reset();
    }
  }

  /** The policy this state was last shaped for; read by the cache's expiry. */
  Policy policy() {
    return shape.policy;
  }

  private Shape shapeFor(Policy policy, TimeMeter clock) {
    Shape s = shape;
    return s.policy == policy ? s : reshape(policy, clock);
  }

  /**
   * Moves this client to a new limit after {@link LocalRateLimiter#updateLimits}. Rare, so it
   * may lock. Tokens carry over as they are (capped at the new burst): a client that just used
   * its burst does not get a new one because the configuration was reloaded.
   */
  private synchronized Shape reshape(Policy policy, TimeMeter clock) {
    Shape s = shape;
    if (s.policy == policy) {
      return s;
    }
    Bucket bucket;
    if (policy.bucketConfiguration == null) {
      bucket = null;
    } else if (s.bucket == null) {
      bucket = newBucket(policy, clock);
    } else {
      bucket = s.bucket;
      bucket.replaceConfiguration(policy.bucketConfiguration, TokensInheritanceStrategy.AS_IS);
    }
    Shape next = new Shape(policy, bucket);
    ByteBuckets b = bytes;
    if (b != null) {
      b.configure(policy.bytesConfiguration, clock);
    }
    shape = next;
    return next;
  }

  private static Bucket newBucket(Policy policy, TimeMeter clock) {
    if (policy.bucketConfiguration == null) {
      return null;
    }
    return Bucket.builder()
        .addLimit(policy.bucketConfiguration.getBandwidths()[0])
        .withCustomTimePrecision(clock)
        .build();
  }
}
