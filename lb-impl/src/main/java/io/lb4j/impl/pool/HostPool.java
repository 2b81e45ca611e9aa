package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.LoadOrder.check;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.DurationText;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.admin.AdminState;
import io.lb4j.impl.admin.CheckResult;
import io.lb4j.impl.admin.HostView;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.balancing.Strategies;
import io.lb4j.impl.transport.Nanos;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosts of one upstream with their connection counts and health: the one place where lb4j
 * counts connections. A new connection {@linkplain #acquire acquires} a host, which picks it with
 * the upstream's {@link BalancingStrategy} and counts the connection against it in one atomic
 * step; the returned {@link Lease} gives the count back exactly once.
 *
 * <pre>{@code
 * HostPool pool = new HostPool(upstream, System::nanoTime);
 * Lease lease = pool.acquire(connection);
 * if (lease == null) {
 *   // every host is down or the upstream has none: refuse with NO_HOST
 * } else {
 *   connect(lease.host());   // on failure: lease.connectFailed(); when done: lease.release()
 * }
 * }</pre>
 *
 * <h2>Eligibility</h2>
 * A host takes new connections when it is configured (not draining), enabled by an operator (see
 * {@link #adminState}, kept apart from health) and up. It goes down when the
 * active health check reports {@code fall} failures in a row or a connect to it failed (a passive
 * mark); it comes back after {@code rise} successful checks when the upstream has a health check,
 * else once {@link Upstream#passiveDownTime()} has passed on the pool's clock.
 *
 * <h2>Weights and slow start</h2>
 * Least connections is weighted: it picks the host with the least {@code (count + 1) / weight}
 * (see {@link LoadOrder}). Weights come from {@link Upstream#weight(Host)} and change with
 * {@link #update}, which keeps counts and health. With a {@linkplain Upstream#slowStart() slow
 * start} period, a host that joins through {@code update}, or becomes eligible again after being
 * out (down, or anything else that took it out of rotation), starts at 1/{@value
 * HostEntry#WEIGHT_SCALE} of its weight, grows linearly with the pool's clock and takes its full
 * weight once the period has passed; hosts given to the constructor start at full weight. The
 * ramp is stepped when a pick or a snapshot finds a step due, at most {@value #RAMP_STEPS} times
 * per period, so nothing runs between picks and a pick reads the clock only while a host ramps.
 *
 * <h2>Cost</h2>
 * The eligible hosts sit in a {@link LoadOrder}: the least-loaded host is found at once, and an
 * acquisition or a release is counted in O(log n) whatever the weights. Health and configuration
 * changes, which are rare, rebuild the order in O(n). A ramp step re-places each ramping host,
 * O(r log n). This class decides which hosts are eligible and what they weigh, and keeps the
 * order told.
 *
 * <h2>Threading</h2>
 * Thread-safe. Every method takes the pool's lock briefly; the strategy runs under it. The lock
 * makes every pick exact (the chosen host is the least loaded at the moment it is counted) and is
 * the one point all the upstream's picks and releases pass, so a pick does outside it what it can:
 * it reads the clock before (only while a host ramps or carries a passive mark), makes the lease
 * and logs host changes after. Why one lock per upstream is not the limit on many cores, with the arithmetic and
 * the JMH figures, is in {@code docs/architecture.md} ("Least connections on many cores").
 */
public final class HostPool {

  private static final Logger log = LoggerFactory.getLogger(HostPool.class);

  /** The default strategy; the pool recognises it and picks without calling it. */
  private static final BalancingStrategy LEAST_CONNECTIONS = Strategies.leastConnections();

  /** How many steps a slow-start ramp takes at most. */
  static final int RAMP_STEPS = 100;

  /** The shortest time between two ramp steps, so that short periods do not step every pick. */
  private static final long MIN_RAMP_STEP_NANOS = 1_000_000L;

  private final LongSupplier nanoClock;
  private final Object lock = new Object();

  private volatile Upstream upstream;

  /** Why the upstream has no host, when something outside the pool knows; null otherwise. */
  private volatile String noHostDetail;

  // Everything below is guarded by lock.

  /** Configured and draining hosts; an entry leaves once it is draining with no lease. */
  private final Map<Host, HostEntry> entries = new LinkedHashMap<>();

  /** The configured hosts, in configuration order. */
  private HostEntry[] configured;

  /** The eligible hosts, in configuration order and by count; also the strategy's view. */
  private final LoadOrder order = new LoadOrder();

  /** The eligible hosts in slow start. */
  private final List<HostEntry> ramping = new ArrayList<>();

  private long nextRampStepNanos;

  /** False while the constructor places the first hosts, which take their full weight at once. */
  private boolean started;

  private BalancingStrategy strategy;
  private boolean strategyWarned;

  /** Whether some entry may carry a passive mark; lets acquire skip the clock otherwise. */
  private boolean passiveMarks;

  private long nextPassiveUpAtNanos;

  /**
   * Whether some host ramps or carries a passive mark, so that a pick needs the clock: written
   * under the lock, read before it so that the clock is read outside. A pick that read a stale
   * false reads the clock under the lock instead.
   */
  private volatile boolean clockWanted;

  /**
   * Creates the pool of an upstream; every host starts up with no connection.
   *
   * @param upstream the upstream's hosts and settings
   * @param nanoClock a monotonic time source in nanoseconds (as {@link System#nanoTime}), used for
   *     passive down times; called from whichever thread acquires
   * @throws NullPointerException if an argument is null
   */
  public HostPool(Upstream upstream, LongSupplier nanoClock) {
    Objects.requireNonNull(upstream, "upstream");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    synchronized (lock) {
      install(upstream);
      rebuild();
      started = true;
    }
  }

  /**
   * Picks a host with the upstream's strategy (least connections by default) and counts the lease
   * against it, atomically.
   *
   * <p>When the strategy returns an index out of range or throws, the least-loaded host is taken
   * instead and the fault is logged once at WARN per strategy.
   *
   * @param connection the connection to place, passed to the strategy
   * @return the lease, or null when no host may take a connection now
   * @throws NullPointerException if {@code connection} is null
   */
  public Lease acquire(ConnectionInfo connection) {
    Objects.requireNonNull(connection, "connection");
    // The lock is the one point every pick and release of the upstream passes, so what can be done
    // outside it is: the clock is read before it (and only while some host ramps or carries a
    // passive mark), the lease is made and a host back in rotation logged after it.
    boolean timed = clockWanted;
    long now = timed ? nanoClock.getAsLong() : 0;
    HostEntry chosen = null;
    List<Host> back;
    synchronized (lock) {
      back = catchUp(timed, now);
      int n = order.size();
      if (n > 0) {
        chosen =
            strategy == LEAST_CONNECTIONS
                ? order.leastLoadedEntry()
                : order.entry(choose(n, connection));
        order.increment(chosen);
      }
    }
    if (back != null) {
      logBackInRotation(back);
    }
    return chosen == null ? null : new Lease(this, chosen);
  }

  /**
   * Replaces the hosts and settings. Hosts that stay keep their counts and health; removed hosts
   * take no new connection, their open leases still release correctly, and each is forgotten once
   * its last lease is released; new hosts start up. The strategy is replaced too. When the new
   * settings have no health check, hosts that the check had taken out come back into rotation,
   * since nothing would bring them back otherwise.
   *
   * @param upstream the new settings, of the same upstream name
   * @throws NullPointerException if {@code upstream} is null
   * @throws IllegalArgumentException if its name differs from this pool's upstream
   */
  public void update(Upstream upstream) {
    Objects.requireNonNull(upstream, "upstream");
    String name = this.upstream.name();
    if (!name.equals(upstream.name())) {
      throw new IllegalArgumentException(
          "upstream name must stay '" + name + "' but was '" + upstream.name() + "'");
    }
    synchronized (lock) {
      boolean checkRemoved =
          this.upstream.healthCheck().isPresent() && upstream.healthCheck().isEmpty();
      install(upstream);
      if (checkRemoved) {
        for (HostEntry e : entries.values()) {
          e.activeUp = true;
          e.streak = 0;
        }
      }
      rebuild();
    }
  }

  /**
   * Sets what a refusal says while the upstream has no host at all, as "its first DNS lookup
   * failed"; null goes back to the pool's own words. Lock-free.
   *
   * @param detail one line, or null
   */
  public void explainNoHost(String detail) {
    this.noHostDetail = detail;
  }

  /** Returns the line set by {@link #explainNoHost}, or null. Lock-free. */
  public String noHostDetail() {
    return noHostDetail;
  }

  /** Returns the current settings of the upstream; never null. Lock-free. */
  public Upstream upstream() {
    return upstream;
  }

  /**
   * Returns the state of every known host, for metrics and administration: the configured hosts
   * in configuration order, then the draining ones.
   *
   * @return an immutable list, one element per known host
   */
  public List<HostStatus> snapshot() {
    List<Host> back;
    List<HostStatus> snapshot;
    synchronized (lock) {
      back = catchUp(false, 0);
      List<HostStatus> out = new ArrayList<>(entries.size());
      for (HostEntry e : configured) {
        out.add(status(e, false));
      }
      for (HostEntry e : entries.values()) {
        if (!e.configured) {
          out.add(status(e, true));
        }
      }
      snapshot = List.copyOf(out);
    }
    if (back != null) {
      logBackInRotation(back);
    }
    return snapshot;
  }

  /**
   * Records the result of one active health check. A host that is up goes down after the
   * upstream's {@code fall} failures in a row; a host that is down comes back after {@code rise}
   * successes in a row. Results for hosts the pool does not know, or while the upstream has no
   * health check, are ignored.
   *
   * @param host the checked host
   * @param success whether the check connected
   * @return true when this result moved the host into or out of the health check's rotation, so
   *     that the caller can log the change once
   * @throws NullPointerException if {@code host} is null
   */
  public boolean reportHealthCheck(Host host, boolean success) {
    Objects.requireNonNull(host, "host");
    synchronized (lock) {
      HealthCheck check = upstream.healthCheck().orElse(null);
      HostEntry e = entries.get(host);
      if (check == null || e == null) {
        return false;
      }
      CheckResult result = success ? CheckResult.PASSED : CheckResult.FAILED;
      e.checksInARow = e.lastCheck == result ? e.checksInARow + 1 : 1;
      e.lastCheck = result;
      if (e.activeUp == success) {
        e.streak = 0;
        return false;
      }
      e.streak++;
      if (e.streak < (success ? check.rise() : check.fall())) {
        return false;
      }
      boolean wasEligible = e.eligible();
      e.activeUp = success;
      e.streak = 0;
      if (wasEligible != e.eligible()) {
        rebuild();
      }
      return true;
    }
  }

  /**
   * Sets what an operator ordered for a configured host. A host that is not {@link
   * AdminState#ENABLED} takes no new connection whatever its health; its health checks go on, so
   * that it is back at once when enabled if they pass. The state is kept across {@link #update}s
   * while the host stays configured, and forgotten when it leaves the configuration. Closing the
   * connections of a disabled host is the caller's part.
   *
   * @param host a configured host
   * @param state the new state
   * @return the state it had before
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the host is not configured in this upstream
   */
  public AdminState adminState(Host host, AdminState state) {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(state, "state");
    synchronized (lock) {
      HostEntry e = entries.get(host);
      if (e == null || !e.configured) {
        throw new IllegalArgumentException(
            "no host " + host + " in upstream '" + upstream.name() + "'");
      }
      AdminState before = e.admin;
      if (before != state) {
        boolean wasEligible = e.eligible();
        e.admin = state;
        if (wasEligible != e.eligible()) {
          rebuild();
        }
      }
      return before;
    }
  }

  /**
   * Returns every known host as an operator sees it: the configured hosts in configuration order,
   * then the removed ones still draining.
   *
   * @return an immutable list, one element per known host
   */
  public List<HostView> adminSnapshot() {
    List<Host> back;
    List<HostView> snapshot;
    synchronized (lock) {
      back = catchUp(false, 0);
      Upstream u = upstream;
      List<HostView> out = new ArrayList<>(entries.size());
      for (HostEntry e : configured) {
        out.add(view(e, u));
      }
      for (HostEntry e : entries.values()) {
        if (!e.configured) {
          out.add(view(e, u));
        }
      }
      snapshot = List.copyOf(out);
    }
    if (back != null) {
      logBackInRotation(back);
    }
    return snapshot;
  }

  private static HostView view(HostEntry e, Upstream u) {
    return HostView.of(e.host, e.admin, e.up(), !e.configured, e.lastCheck, e.checksInARow,
        e.count, u.weight(e.host), slowStartShare(e));
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "HostPool[" + upstream.name() + " " + entries.values() + "]";
    }
  }

  // ---- called by Lease

  void release(HostEntry e) {
    synchronized (lock) {
      releaseLocked(e);
    }
  }

  void connectFailed(HostEntry e, boolean release) {
    boolean out;
    synchronized (lock) {
      if (release) {
        releaseLocked(e);
      }
      out = markFailed(e);
    }
    if (out) {
      Upstream u = upstream;
      if (u.healthCheck().isPresent()) {
        log.info("host {} of upstream {} is out of rotation after a failed connect, until {}"
            + " health check(s) pass", e.host, u.name(), u.healthCheck().get().rise());
      } else {
        log.info("host {} of upstream {} is out of rotation for {} after a failed connect",
            e.host, u.name(), DurationText.format(u.passiveDownTime()));
      }
    }
  }

  // Logging waits for the appender, so host changes found under the lock are logged after it.
  private void logBackInRotation(List<Host> hosts) {
    String name = upstream.name();
    for (Host host : hosts) {
      log.info("host {} of upstream {} is back in rotation: its passive down time passed", host,
          name);
    }
  }

  // ---- for tests of this package

  /** Verifies the internal order against the counts; throws AssertionError on a broken invariant. */
  void checkInvariants() {
    synchronized (lock) {
      int sum = 0;
      int eligible = 0;
      for (HostEntry e : entries.values()) {
        check(e.count >= 0, "negative count " + e);
        sum += e.count;
        if (e.eligible()) {
          eligible++;
        } else {
          check(e.candidateIndex == -1 && e.heapIndex == -1, "ineligible but placed " + e);
        }
        check(e.ramping == ramping.contains(e), "ramp list disagrees with " + e);
        check(e.ramping || e.effectiveWeight == e.weight * HostEntry.WEIGHT_SCALE,
            "weight not full outside slow start " + e);
        check(!e.ramping || e.eligible(), "ineligible host in slow start " + e);
      }
      check(sum == order.leases(), order.leases() + " leases counted but counts sum to " + sum);
      check(clockWanted == (passiveMarks || !ramping.isEmpty()), "clock hint is stale");
      check(eligible == order.size(), eligible + " eligible hosts but " + order.size() + " placed");
      for (int i = 0; i < order.size(); i++) {
        HostEntry e = order.entry(i);
        check(entries.get(e.host) == e, "unknown entry " + e);
      }
      order.checkInvariants();
    }
  }

  // ---- internals, all under lock

  private static HostStatus status(HostEntry e, boolean draining) {
    return new HostStatus(e.host, e.count, e.up(), draining, e.weight, slowStartShare(e));
  }

  /** The share of its weight a host has reached in slow start; 1 outside slow start. */
  private static double slowStartShare(HostEntry e) {
    return e.ramping ? e.effectiveWeight / (double) (e.weight * HostEntry.WEIGHT_SCALE) : 1;
  }

  private int choose(int n, ConnectionInfo connection) {
    int index;
    try {
      index = strategy.choose(order, connection);
    } catch (RuntimeException e) {
      if (!strategyWarned) {
        strategyWarned = true;
        log.warn(
            "balancing strategy {} of upstream {} threw; using the least-loaded host instead"
                + " (logged once)",
            strategy, upstream.name(), e);
      }
      return order.leastLoaded();
    }
    if (index < 0 || index >= n) {
      if (!strategyWarned) {
        strategyWarned = true;
        log.warn(
            "balancing strategy {} of upstream {} returned index {} of {} candidates; using the"
                + " least-loaded host instead (logged once)",
            strategy, upstream.name(), index, n);
      }
      return order.leastLoaded();
    }
    return index;
  }

  private void releaseLocked(HostEntry e) {
    if (e.count <= 0) {
      // A lease releases once, so this means a bug in lb4j; refusing keeps counts from going below 0.
      log.error("release of {} in upstream {} with no lease outstanding; ignored", e.host,
          upstream.name());
      return;
    }
    order.decrement(e);
    if (!e.configured && e.count == 0 && entries.get(e.host) == e) {
      entries.remove(e.host);
    }
  }

  /** Marks the host of a failed connect; returns whether that took it out of rotation. */
  private boolean markFailed(HostEntry leased) {
    // A late report may hold the entry of a host that was since forgotten and added again: the
    // mark belongs to the host, so it goes to the host's current entry.
    HostEntry e = entries.get(leased.host);
    if (e == null) {
      return false;
    }
    Upstream u = upstream;
    boolean wasEligible = e.eligible();
    HealthCheck check = u.healthCheck().orElse(null);
    if (check != null) {
      e.activeUp = false;
      e.streak = 0;
    } else {
      long upAt = nanoClock.getAsLong() + Nanos.saturated(u.passiveDownTime());
      e.passiveDown = true;
      e.passiveUpAtNanos = upAt;
      if (!passiveMarks || upAt - nextPassiveUpAtNanos < 0) {
        nextPassiveUpAtNanos = upAt;
      }
      passiveMarks = true;
      wantClock();
    }
    if (wasEligible) {
      rebuild();
    }
    return wasEligible;
  }

  /**
   * Brings passive marks and slow-start ramps up to the clock before hosts are picked or shown;
   * {@code now} is the clock read before the lock when {@code timed}, an instant ago at most.
   * Returns the hosts back in rotation, for the caller to log once it left the lock, or null.
   */
  private List<Host> catchUp(boolean timed, long now) {
    if (!passiveMarks && ramping.isEmpty()) {
      return null;
    }
    if (!timed) {
      now = nanoClock.getAsLong();
    }
    List<Host> back = passiveMarks ? recoverPassiveMarks(now) : null;
    if (!ramping.isEmpty()) {
      stepRamps(now);
    }
    wantClock();
    return back;
  }

  /** Tells picks whether to read the clock; called whenever marks or ramps may have changed. */
  private void wantClock() {
    boolean wanted = passiveMarks || !ramping.isEmpty();
    if (wanted != clockWanted) {
      clockWanted = wanted;
    }
  }

  /** Ends the passive marks whose time passed; returns the hosts back in rotation, or null. */
  private List<Host> recoverPassiveMarks(long now) {
    if (now - nextPassiveUpAtNanos < 0) {
      return null;
    }
    boolean pending = false;
    long next = 0;
    List<Host> back = null;
    for (HostEntry e : entries.values()) {
      if (!e.passiveDown) {
        continue;
      }
      if (now - e.passiveUpAtNanos >= 0) {
        e.passiveDown = false;
        if (e.eligible()) {
          if (back == null) {
            back = new ArrayList<>(2);
          }
          back.add(e.host);
        }
      } else if (!pending || e.passiveUpAtNanos - next < 0) {
        pending = true;
        next = e.passiveUpAtNanos;
      }
    }
    passiveMarks = pending;
    nextPassiveUpAtNanos = next;
    if (back != null) {
      rebuild();
    }
    return back;
  }

  private void install(Upstream next) {
    HostEntry[] old = configured;
    // Hosts removed by an earlier change and still draining, told apart before this change
    // unmarks the current ones.
    java.util.Set<HostEntry> draining = new java.util.HashSet<>();
    if (old != null && entries.size() > old.length) {
      for (HostEntry e : entries.values()) {
        if (!e.configured) {
          draining.add(e);
        }
      }
    }
    if (old != null) {
      for (HostEntry e : old) {
        e.configured = false;
      }
    }
    List<Host> hosts = next.hosts();
    HostEntry[] now = new HostEntry[hosts.size()];
    for (int i = 0; i < now.length; i++) {
      HostEntry e = entries.get(hosts.get(i));
      if (e == null) {
        e = new HostEntry(hosts.get(i));
        entries.put(e.host, e);
      } else if (draining.contains(e)) {
        // Removed earlier and still draining, now back: its old health belongs to a past life of
        // the address (a discovered host that left and returned), so it starts up like a new one.
        // Its count stays: those leases are real and release into this entry.
        e.activeUp = true;
        e.streak = 0;
        e.passiveDown = false;
      }
      e.configured = true;
      e.weight = next.weight(e.host);
      now[i] = e;
    }
    if (old != null) {
      for (HostEntry e : old) {
        if (!e.configured) {
          e.candidateIndex = -1;
          e.heapIndex = -1;
          e.ramping = false;
          e.effectiveWeight = e.weight * HostEntry.WEIGHT_SCALE;
          // An operator's order is for a host in the file; one that leaves and comes back is new.
          e.admin = AdminState.ENABLED;
          if (e.count == 0) {
            entries.remove(e.host);
          }
        }
      }
    }
    configured = now;
    BalancingStrategy nextStrategy = next.strategy().orElse(LEAST_CONNECTIONS);
    if (nextStrategy != strategy) {
      strategy = nextStrategy;
      strategyWarned = false;
    }
    upstream = next;
  }

  /**
   * Recomputes the candidate list and the load order from scratch, after the effective weights:
   * a host placed now that was not placed before (new, or back in rotation) starts its slow start.
   */
  private void rebuild() {
    long period = Nanos.saturated(upstream.slowStart());
    long now = 0;
    boolean haveNow = false;
    for (HostEntry e : configured) {
      boolean wasPlaced = e.candidateIndex >= 0;
      if (!e.eligible() || period == 0) {
        e.ramping = false;
      } else if (!wasPlaced && started) {
        if (!haveNow) {
          now = nanoClock.getAsLong();
          haveNow = true;
        }
        e.ramping = true;
        e.rampStartNanos = now;
      }
      if (e.ramping) {
        if (!haveNow) {
          now = nanoClock.getAsLong();
          haveNow = true;
        }
        e.effectiveWeight = rampedWeight(e, now, period);
      } else {
        e.effectiveWeight = e.weight * HostEntry.WEIGHT_SCALE;
      }
    }
    ramping.clear();
    for (HostEntry e : configured) {
      if (e.ramping) {
        ramping.add(e);
      }
    }
    if (!ramping.isEmpty()) {
      nextRampStepNanos = now + rampStep(period);
    }
    order.rebuild(configured);
    wantClock();
  }

  /** Moves every ramping host to its weight at the clock's time, once a step is due. */
  private void stepRamps(long now) {
    if (now - nextRampStepNanos < 0) {
      return;
    }
    long period = Nanos.saturated(upstream.slowStart());
    for (int i = ramping.size() - 1; i >= 0; i--) {
      HostEntry e = ramping.get(i);
      order.reweigh(e, rampedWeight(e, now, period));
      if (!e.ramping) {
        ramping.remove(i);
      }
    }
    nextRampStepNanos = now + rampStep(period);
  }

  /**
   * Returns the effective weight of a ramping host at {@code now}, in proportion to the time since
   * its ramp started and at least 1; ends the ramp once the period has passed.
   */
  private static int rampedWeight(HostEntry e, long now, long period) {
    int full = e.weight * HostEntry.WEIGHT_SCALE;
    long elapsed = now - e.rampStartNanos;
    if (elapsed >= period) {
      e.ramping = false;
      return full;
    }
    return (int) Math.max(1, (long) (full * ((double) Math.max(0, elapsed) / period)));
  }

  private static long rampStep(long period) {
    return Math.max(MIN_RAMP_STEP_NANOS, period / RAMP_STEPS);
  }
}
