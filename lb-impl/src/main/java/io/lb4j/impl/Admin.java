package io.lb4j.impl;

import io.lb4j.api.CloseReason;
import io.lb4j.api.Host;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.RateLimitState;
import io.lb4j.api.Upstream;
import io.lb4j.impl.admin.AdminState;
import io.lb4j.impl.admin.HostView;
import io.lb4j.impl.admin.UpstreamView;
import io.lb4j.impl.pool.HostPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's controls of a running {@link LoadBalancer}: read the upstreams and their hosts,
 * take a host out of rotation and put it back, change its weight, read and reset a client's rate
 * limit state. An embedder wires these to its own control plane; the reference server's admin API
 * is a thin layer over them.
 *
 * <pre>{@code
 * Admin admin = lb.admin();
 * Host host = Host.parse("10.0.0.7:8443");
 * admin.drain("api", host);                          // no new connections, open ones go on
 * admin.disable("api", host, Duration.ofSeconds(10)); // and the open ones closed in 10 s
 * admin.enable("api", host);
 * admin.weight("api", host, 3);
 * }</pre>
 *
 * <h2>Administrative state and health</h2>
 * A host's {@link AdminState} is what an operator ordered, kept apart from its health: a drained or
 * disabled host takes no new connection even while its health checks pass (they go on running,
 * so it is back at once when enabled if they pass), and an enabled host that fails its checks is
 * down. The state is kept across {@link LoadBalancer#update} while the host stays in the upstream,
 * and forgotten when the host leaves it: a host removed and added again starts enabled.
 *
 * <p>A weight set here is the upstream's weight until the next {@link LoadBalancer#update} of that
 * upstream, which brings the weights it carries.
 *
 * <h2>Errors and threading</h2>
 * An unknown upstream or host throws {@link NoSuchElementException}; a value out of range throws
 * {@link InvalidSettingException}; either changes nothing. Thread-safe; every method returns at
 * once without waiting for connections (the closes of a disable happen on the event loops), and
 * none may be called from an event loop, since a weight change takes the pool's lock.
 */
public final class Admin {

  private static final Logger log = LoggerFactory.getLogger(Admin.class);

  private final ForwardingCore core;
  private final List<String> names;
  /** The pending close of each disabled host whose grace has not run out. */
  private final Map<PoolHost, ScheduledClose> pendingCloses = new ConcurrentHashMap<>();
  /** Serialises the orders of state, so that a state and its pending close always agree. */
  private final Object orders = new Object();
  private final Object weights = new Object();

  private record PoolHost(HostPool pool, Host host) {}

  Admin(ForwardingCore core, List<String> names) {
    this.core = core;
    this.names = List.copyOf(names);
  }

  ForwardingCore core() {
    return core;
  }

  /** Returns every upstream with its hosts, in the order they were added to the load balancer. */
  public List<UpstreamView> upstreams() {
    List<UpstreamView> out = new ArrayList<>(names.size());
    for (String name : names) {
      out.add(view(pool(name)));
    }
    return List.copyOf(out);
  }

  /**
   * Returns one upstream with its hosts.
   *
   * @param upstream the upstream's name
   * @return its view, or empty when no upstream has that name
   */
  public Optional<UpstreamView> upstream(String upstream) {
    Objects.requireNonNull(upstream, "upstream");
    HostPool pool = core.pool(upstream);
    return pool == null ? Optional.empty() : Optional.of(view(pool));
  }

  private static UpstreamView view(HostPool pool) {
    return new UpstreamView(pool.upstream(), pool.adminSnapshot());
  }

  /**
   * Drains a host: it takes no new connection, and its open connections go on until they end. A
   * close a {@link #disable} scheduled for it is called off.
   *
   * @param upstream the upstream's name
   * @param host one of its configured hosts
   * @return the state the host had before
   * @throws NoSuchElementException if there is no such upstream or host
   */
  public AdminState drain(String upstream, Host host) {
    return change(upstream, host, AdminState.DRAINING);
  }

  /**
   * Enables a host: it takes new connections again whenever its health allows. A close a
   * {@link #disable} scheduled for it is called off.
   *
   * @param upstream the upstream's name
   * @param host one of its configured hosts
   * @return the state the host had before
   * @throws NoSuchElementException if there is no such upstream or host
   */
  public AdminState enable(String upstream, Host host) {
    return change(upstream, host, AdminState.ENABLED);
  }

  /**
   * Disables a host: it takes no new connection, and the connections it still has once
   * {@code grace} has passed are closed with {@link CloseReason#ADMIN_DISABLED}. Enabling or
   * draining it before then calls the close off; disabling it again starts a new grace.
   *
   * @param upstream the upstream's name
   * @param host one of its configured hosts
   * @param grace how long open connections may go on; zero closes them at once
   * @return the state the host had before
   * @throws NoSuchElementException if there is no such upstream or host
   * @throws InvalidSettingException if {@code grace} is negative (setting {@code grace})
   */
  public AdminState disable(String upstream, Host host, Duration grace) {
    Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw InvalidSettingException.of("grace", grace, "must not be negative");
    }
    HostPool pool = poolWithHost(upstream, host);
    AdminState before;
    PoolHost key = new PoolHost(pool, host);
    synchronized (orders) {
      before = pool.adminState(host, AdminState.DISABLED);
      cancelPendingClose(key);
      ScheduledClose close = new ScheduledClose(key);
      pendingCloses.put(key, close);
      try {
        close.future = core.schedule(close, grace);
      } catch (RejectedExecutionException e) {
        pendingCloses.remove(key, close);
        // The load balancer is shutting down; its own drain closes what is left.
        log.debug("close of {} of {} not scheduled: shutting down", host, upstream);
      }
    }
    return before;
  }

  /**
   * Sets the weight of a host, through {@link LoadBalancer#update} with the upstream as it is
   * served now and that one weight changed.
   *
   * @param upstream the upstream's name
   * @param host one of its configured hosts
   * @param weight the new weight, as {@link Upstream.Builder#weight} allows it
   * @return the weight it had before
   * @throws NoSuchElementException if there is no such upstream or host
   * @throws InvalidSettingException if the weight is out of range (setting {@code weight})
   */
  public int weight(String upstream, Host host, int weight) {
    HostPool pool = poolWithHost(upstream, host);
    synchronized (weights) {
      Upstream now = pool.upstream();
      Upstream next = now.toBuilder().weight(host, weight).build();
      core.update(next);
      return now.weight(host);
    }
  }

  /**
   * Reads what the rate limiter holds for a client.
   *
   * @param client the client as the limiter keys it (lb4j's limiters: the certificate's CN)
   * @return the state, or empty when the limiter in use cannot tell
   * @throws IllegalStateException if the limiter's shared store (Redis) cannot be read now
   */
  public Optional<RateLimitState> clientLimits(String client) {
    Objects.requireNonNull(client, "client");
    return core.rateLimiter().state(client);
  }

  /**
   * Gives a client's rate limit a fresh start (a full bucket); its open connections stay counted.
   *
   * @param client the client as the limiter keys it
   * @return whether the limiter in use can reset clients
   * @throws IllegalStateException if the limiter's shared store (Redis) cannot be changed now
   */
  public boolean resetClientLimits(String client) {
    Objects.requireNonNull(client, "client");
    return core.rateLimiter().reset(client);
  }

  private AdminState change(String upstream, Host host, AdminState state) {
    HostPool pool = poolWithHost(upstream, host);
    PoolHost key = new PoolHost(pool, host);
    synchronized (orders) {
      cancelPendingClose(key);
      return pool.adminState(host, state);
    }
  }

  private void cancelPendingClose(PoolHost key) {
    ScheduledClose pending = pendingCloses.remove(key);
    if (pending != null && pending.future != null) {
      pending.future.cancel(false);
    }
  }

  private HostPool pool(String upstream) {
    HostPool pool = core.pool(upstream);
    if (pool == null) {
      throw new NoSuchElementException("no upstream named '" + upstream + "'");
    }
    return pool;
  }

  private HostPool poolWithHost(String upstream, Host host) {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(host, "host");
    HostPool pool = pool(upstream);
    if (!pool.upstream().hosts().contains(host)) {
      throw new NoSuchElementException("no host " + host + " in upstream '" + upstream + "'");
    }
    return pool;
  }

  /** The close of a disabled host's connections, once its grace ran out. */
  private final class ScheduledClose implements Runnable {
    private final PoolHost key;
    volatile Future<?> future;

    ScheduledClose(PoolHost key) {
      this.key = key;
    }

    @Override
    public void run() {
      // Only if no later order replaced this one meanwhile.
      if (pendingCloses.remove(key, this)) {
        core.closeConnectionsOf(key.pool, key.host, CloseReason.ADMIN_DISABLED);
      }
    }
  }
}
