package io.lb4j.impl.pool;

import io.lb4j.api.Host;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One connection counted against one host of a {@link HostPool}, from the moment the host was
 * picked until the lease is given back.
 *
 * <pre>{@code
 * Lease lease = pool.acquire(connection);
 * connect(lease.host()).whenComplete((channel, error) -> {
 *   if (error != null) {
 *     lease.connectFailed();                  // releases and takes the host out of rotation
 *   } else {
 *     channel.closeFuture().addListener(f -> lease.release());
 *   }
 * });
 * }</pre>
 *
 * <p>Thread-safe: a lease may be released from any thread, and only the first of
 * {@link #release()} and {@link #connectFailed()} gives the count back, however many calls race.
 * A lease of a host that has since been removed from the upstream releases into that host's
 * draining entry.
 */
public final class Lease {

  private static final AtomicIntegerFieldUpdater<Lease> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(Lease.class, "released");

  private final HostPool pool;
  private final HostEntry entry;
  private volatile int released;

  Lease(HostPool pool, HostEntry entry) {
    this.pool = pool;
    this.entry = entry;
  }

  /** Returns the host this lease counts against; never null. */
  public Host host() {
    return entry.host;
  }

  /** Returns whether the count has been given back; for the pool's tests. */
  boolean isReleased() {
    return released != 0;
  }

  /** Gives the count back; the first call counts down, later calls from any thread do nothing. */
  public void release() {
    if (RELEASED.compareAndSet(this, 0, 1)) {
      pool.release(entry);
    }
  }

  /**
   * Reports that connecting to the host failed: releases the lease if it was not yet, and takes the
   * host out of rotation (a passive mark). With an active health check the host stays out until the
   * check brings it back; without one, until the upstream's passive down time has passed. Every
   * call marks the host again, but the count is given back once.
   */
  public void connectFailed() {
    pool.connectFailed(entry, RELEASED.compareAndSet(this, 0, 1));
  }

  @Override
  public String toString() {
    return "Lease[" + entry.host + (released != 0 ? ", released]" : "]");
  }
}
