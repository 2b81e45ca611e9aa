package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.DurationText;
import io.lb4j.api.Host;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.TlsContextFactory;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.health.HealthChecker;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.resolve.HostResolver;
import io.lb4j.impl.transport.Nanos;
import io.lb4j.impl.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link LoadBalancer} and a {@link Forwarder} share: the upstreams with their host pools
 * and health checks, the admission SPIs, the event loops, and the registry of open connections
 * that a graceful close drains. Thread-safe.
 */
final class ForwardingCore implements Admission.Policy {

  private static final Logger log = LoggerFactory.getLogger(ForwardingCore.class);

  private static final Refuse SHUTTING_DOWN =
      Decision.refuse(RefusalReason.SHUTTING_DOWN, "lb4j is shutting down");

  private final Settings settings;
  private final Transport transport;
  private final EventLoopGroup group;
  private final HostResolver resolver;
  private final Map<String, UpstreamRuntime> upstreams = new ConcurrentHashMap<>();
  private final Set<ProxiedConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private volatile Authorizer authorizer;
  private volatile RateLimiter rateLimiter;
  private volatile boolean closing;
  /** The TLS factory's trust-change callback, with {@link OnRevoke#CLOSE}; null otherwise. */
  private volatile TlsContextFactory.Subscription trustWatch;

  /**
   * The running state of one upstream. {@code discovery} is set while its hosts come from a
   * {@link io.lb4j.api.HostSource}; it is replaced under this object's lock.
   */
  private static final class UpstreamRuntime {
    final HostPool pool;
    final HealthChecker health;
    volatile UpstreamDiscovery discovery;

    UpstreamRuntime(HostPool pool, HealthChecker health) {
      this.pool = pool;
      this.health = health;
    }

    HostPool pool() {
      return pool;
    }

    HealthChecker health() {
      return health;
    }

    /** Applies a new host list and settings: what update(Upstream) does for listed hosts. */
    void apply(Upstream upstream) {
      pool.update(upstream);
      health.refresh();
    }
  }

  ForwardingCore(Settings settings, Transport transport, EventLoopGroup group, List<Upstream> initial) {
    this.settings = settings;
    this.transport = transport;
    this.group = group;
    this.authorizer = settings.authorizer();
    this.rateLimiter = settings.rateLimiter();
    this.resolver =
        settings.nameServers().isEmpty()
            ? HostResolver.system(transport, settings.dnsQueryTimeout())
            : HostResolver.using(transport, settings.dnsQueryTimeout(), settings.nameServers());
    for (Upstream u : initial) {
      // A discovered upstream starts with no host; its source fills it once started.
      HostPool pool = new HostPool(u.toBuilder().discover(null).build(), settings.nanoClock());
      HealthChecker health = new HealthChecker(pool, group, transport, resolver);
      UpstreamRuntime runtime = new UpstreamRuntime(pool, health);
      if (u.hostSource().isPresent()) {
        runtime.discovery = discovery(runtime, u);
      }
      upstreams.put(u.name(), runtime);
    }
  }

  private UpstreamDiscovery discovery(UpstreamRuntime runtime, Upstream u) {
    return new UpstreamDiscovery(u, runtime::apply, runtime.pool::explainNoHost, settings.nanoClock());
  }

  /**
   * Starts the health checks, the watches of host sources and, with {@link OnRevoke#CLOSE},
   * hearing of revocations.
   */
  void start() {
    upstreams.values().forEach(u -> u.health().start());
    upstreams.values().forEach(u -> {
      UpstreamDiscovery d = u.discovery;
      if (d != null) {
        d.start(u.pool().upstream().hosts().isEmpty());
      }
    });
    if (settings.tls() != null && settings.onRevoke() == OnRevoke.CLOSE) {
      trustWatch = settings.tls().onTrustChange(this::trustChanged);
    }
  }

  /**
   * Runs on the TLS factory's reload thread once shrunken trust is in use: each open connection is
   * asked, on its own event loop, whether its client chain is now revoked, and closes if so. The
   * set is read without a lock; a connection registered meanwhile began its handshake under the
   * new trust or is checked by it when identified.
   */
  private void trustChanged() {
    if (closing) {
      return;
    }
    log.info("TLS trust changed: checking {} open connection(s) for revoked certificates (onRevoke close)",
        open.size());
    for (ProxiedConnection c : open) {
      c.closeIfRevoked();
    }
  }

  // ---- read by connections on their event loops

  Settings settings() {
    return settings;
  }

  @Override
  public TlsContextFactory tls() {
    return settings.tls();
  }

  Transport transport() {
    return transport;
  }

  /** Resolves the hosts' names; shared by every connection and health check of this core. */
  HostResolver resolver() {
    return resolver;
  }

  @Override
  public Authorizer authorizer() {
    return authorizer;
  }

  @Override
  public RateLimiter rateLimiter() {
    return rateLimiter;
  }

  boolean isClosing() {
    return closing;
  }

  long nanoTime() {
    return settings.nanoClock().getAsLong();
  }

  @Override
  public HostPool pool(String upstream) {
    UpstreamRuntime u = upstreams.get(upstream);
    return u == null ? null : u.pool();
  }

  /**
   * Creates the connection object for a new client channel and installs its pipeline.
   *
   * @param acceptProxy whether the client is a balancer in front that sends a PROXY header first
   */
  ProxiedConnection accept(Channel client, Route route, boolean acceptProxy) {
    ProxiedConnection c =
        new ProxiedConnection(this, client, route, ids.incrementAndGet(), acceptProxy);
    c.install();
    return c;
  }

  /**
   * Ends a connection whose channel never reached an event loop, so that its handler never ran and
   * never will: the listener hears its accept, its refusal when lb4j is shutting down, and its
   * close, on the calling thread. The channel is closed already; a TLS engine made for it is freed
   * here. Called once per such connection, from any thread.
   *
   * @param c the connection {@link #accept} made for {@code client}
   * @param client its channel, closed by the failed registration
   * @param acceptedAt {@link #nanoTime()} when it was handed over
   * @param cause why the registration failed
   */
  void neverRegistered(ProxiedConnection c, Channel client, long acceptedAt, Throwable cause) {
    SslHandler ssl = client.pipeline().get(SslHandler.class);
    if (ssl != null) {
      // Its handlerAdded never ran, so neither will the handlerRemoved that frees the engine.
      ReferenceCountUtil.release(ssl.engine());
    }
    ConnectionInfo info = c.info();
    Refuse refusal = null;
    Throwable error = null;
    if (closing) {
      // The event loop turned the channel away because close() stopped it: the same refusal as a
      // connection that arrives while shutting down.
      refusal = SHUTTING_DOWN;
    } else {
      log.debug("forwarded channel {} could not be registered with an event loop", info, cause);
      error =
          new IOException("forwarded channel could not be registered with an event loop", cause);
    }
    listenerOnAccepted(info);
    if (refusal != null) {
      listenerOnRefused(info, refusal);
    }
    unregistered(
        c,
        new ConnectionEvent(
            info,
            null,
            0,
            0,
            Duration.ofNanos(nanoTime() - acceptedAt),
            Duration.ZERO,
            refusal == null ? CloseReason.CLIENT_ERROR : CloseReason.REFUSED,
            refusal,
            error));
  }

  void registered(ProxiedConnection c) {
    open.add(c);
  }

  void unregistered(ProxiedConnection c, ConnectionEvent event) {
    open.remove(c);
    try {
      settings.listener().onClosed(event);
    } catch (RuntimeException e) {
      log.warn("connection listener threw in onClosed for {}", event.connection(), e);
    }
  }

  void listenerOnAccepted(ConnectionInfo info) {
    try {
      settings.listener().onAccepted(info);
    } catch (RuntimeException e) {
      log.warn("connection listener threw in onAccepted for {}", info, e);
    }
  }

  void listenerOnRefused(ConnectionInfo info, Refuse refusal) {
    try {
      settings.listener().onRefused(info, refusal);
    } catch (RuntimeException e) {
      log.warn("connection listener threw in onRefused for {}", info, e);
    }
  }

  void listenerOnConnected(ConnectionInfo info, Host host) {
    try {
      settings.listener().onConnected(info, host);
    } catch (RuntimeException e) {
      log.warn("connection listener threw in onConnected for {}", info, e);
    }
  }

  // ---- changed by the owner while running

  void authorizer(Authorizer authorizer) {
    this.authorizer = authorizer;
  }

  void rateLimiter(RateLimiter rateLimiter) {
    this.rateLimiter = rateLimiter;
  }

  boolean hasUpstream(String name) {
    return upstreams.containsKey(name);
  }

  void update(Upstream upstream) {
    UpstreamRuntime u = upstreams.get(upstream.name());
    if (u == null) {
      throw new IllegalArgumentException("no upstream named '" + upstream.name() + "'");
    }
    UpstreamDiscovery started = null;
    UpstreamDiscovery stopped = null;
    synchronized (u) {
      UpstreamDiscovery running = u.discovery;
      java.util.Optional<io.lb4j.api.HostSource> source = upstream.hostSource();
      if (source.isEmpty()) {
        stopped = running;
        u.discovery = null;
        if (stopped != null) {
          stopped.close();
        }
        u.apply(upstream);
      } else if (running != null && running.source().equals(source.get())) {
        running.settings(upstream);
      } else {
        // Another source: the hosts found so far stay, with the new settings, until it publishes.
        stopped = running;
        if (stopped != null) {
          stopped.close();
        }
        Upstream keep = upstream.toBuilder().discover(null).hosts(u.pool().upstream().hosts()).build();
        Upstream current = u.pool().upstream();
        Upstream.Builder withWeights = keep.toBuilder();
        current.hosts().forEach(h -> withWeights.weight(h, current.weight(h)));
        u.apply(withWeights.build());
        started = discovery(u, upstream);
        u.discovery = started;
      }
    }
    if (started != null) {
      started.start(u.pool().upstream().hosts().isEmpty());
    }
  }

  /**
   * Returns how the discovery of an upstream's hosts fares, or empty when its hosts are listed.
   *
   * @throws IllegalArgumentException if there is no such upstream
   */
  java.util.Optional<io.lb4j.impl.discovery.DiscoveryStatus> discoveryStatus(String upstream) {
    UpstreamRuntime u = runtime(upstream);
    UpstreamDiscovery d = u.discovery;
    return d == null ? java.util.Optional.empty() : java.util.Optional.of(d.status());
  }

  /** Returns the name a discovered host came from, or empty. Lock-free. */
  java.util.Optional<String> origin(String upstream, Host host) {
    UpstreamRuntime u = upstreams.get(upstream);
    UpstreamDiscovery d = u == null ? null : u.discovery;
    return d == null ? java.util.Optional.empty() : d.origin(host);
  }

  private UpstreamRuntime runtime(String upstream) {
    UpstreamRuntime u = upstreams.get(upstream);
    if (u == null) {
      throw new IllegalArgumentException("no upstream named '" + upstream + "'");
    }
    return u;
  }

  List<HostStatus> hostStatus(String upstream) {
    UpstreamRuntime u = upstreams.get(upstream);
    if (u == null) {
      throw new IllegalArgumentException("no upstream named '" + upstream + "'");
    }
    return u.pool().snapshot();
  }

  int openConnections() {
    return open.size();
  }

  /**
   * Closes every connection forwarded, or being connected, to {@code host} of {@code pool}.
   * Returns without waiting; each connection is checked and closed on its own event loop.
   */
  void closeConnectionsOf(HostPool pool, Host host, CloseReason reason) {
    for (ProxiedConnection c : open) {
      c.closeIfLeasing(pool, host, reason);
    }
  }

  /**
   * Runs {@code task} once after {@code delay} on one of the event loops; it must not block.
   *
   * @return the scheduled task, to cancel
   */
  Future<?> schedule(Runnable task, Duration delay) {
    return group.schedule(task, Nanos.saturated(delay), TimeUnit.NANOSECONDS);
  }

  /**
   * Lets open connections finish for up to {@code drainTimeout}, then closes what is left, stops
   * the health checks and the event loops. New connections are refused from the start.
   */
  void shutdown(Duration drainTimeout) {
    closing = true;
    TlsContextFactory.Subscription watch = trustWatch;
    if (watch != null) {
      watch.close();
    }
    long deadline = System.nanoTime() + Nanos.saturated(drainTimeout);
    while (!open.isEmpty() && System.nanoTime() - deadline < 0) {
      pause();
    }
    if (!open.isEmpty()) {
      log.info("closing {} connection(s) still open after the drain timeout of {}", open.size(),
          DurationText.format(drainTimeout));
      for (ProxiedConnection c : open) {
        c.closeFromOutside(CloseReason.SHUTDOWN);
      }
      long forced = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!open.isEmpty() && System.nanoTime() < forced) {
        pause();
      }
    }
    upstreams.values().forEach(u -> {
      UpstreamDiscovery d = u.discovery;
      if (d != null) {
        d.close();
      }
      u.health().close();
    });
    resolver.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static void pause() {
    try {
      // Polling a concurrent set is simpler than a latch that every close would have to count.
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
