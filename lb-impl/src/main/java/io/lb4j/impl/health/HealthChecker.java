package io.lb4j.impl.health;

import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.Upstream;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.proxy.ProxyHeader;
import io.lb4j.impl.resolve.HostResolver;
import io.lb4j.impl.transport.Failures;
import io.lb4j.impl.transport.Nanos;
import io.lb4j.impl.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active TCP health checks of the hosts of one upstream. Every {@link HealthCheck#interval()} it
 * connects to each configured host with the check's timeout, closes the connection at once, and
 * reports the result to the {@link HostPool}, which applies the rise and fall thresholds. A change
 * of a host's state (up to down, down to up) is logged once at INFO.
 *
 * <pre>{@code
 * HostPool pool = new HostPool(upstream, System::nanoTime);
 * HealthChecker checker = new HealthChecker(pool, group, Transport.best(), resolver);
 * checker.start();
 * // later, with new hosts or settings:
 * pool.update(changed);
 * checker.refresh();
 * // at shutdown, before the event loops:
 * checker.close();
 * }</pre>
 *
 * <p>Each host is checked on one event loop of the group, and a check that outlasts the interval
 * is not overlapped by the next. The first checks of the hosts are spread over one interval, so
 * many hosts are not probed in one burst. Host names are resolved by the given {@link HostResolver}
 * when each check connects, without blocking the event loop; a name that does not resolve is a
 * failed check.
 *
 * <p>Thread-safe: {@link #start}, {@link #refresh} and {@link #close} may be called from any
 * thread, but not from inside a check (they are cheap but take this checker's lock).
 */
public final class HealthChecker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  private static final ChannelHandler NO_OP = new NoOp();

  private final HostPool pool;
  private final EventLoopGroup group;
  private final Transport transport;
  private final HostResolver resolver;
  private final Object lock = new Object();

  // Guarded by lock.
  private final Map<Host, Probe> probes = new HashMap<>();
  private HealthCheck running;
  /** The PROXY version the running checks send a header of, or null. */
  private ProxyProtocol.Version runningProxy;
  private boolean started;
  private boolean closed;

  /**
   * Creates a checker for the hosts of {@code pool}; it checks nothing until {@link #start()}.
   *
   * @param pool the pool whose hosts are checked and which receives the results
   * @param group the event loops that run the checks; the caller owns and shuts them down
   * @param transport the channel type to connect with, matching the group
   * @param resolver resolves the hosts' names; the caller owns and closes it
   * @throws NullPointerException if an argument is null
   */
  public HealthChecker(
      HostPool pool, EventLoopGroup group, Transport transport, HostResolver resolver) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.group = Objects.requireNonNull(group, "group");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.resolver = Objects.requireNonNull(resolver, "resolver");
  }

  /**
   * Starts checking the pool's hosts with the upstream's health check settings; does nothing when
   * the upstream has no health check (until a {@link #refresh()} brings one), when already started,
   * or once closed.
   */
  public void start() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      started = true;
      reconcile();
    }
  }

  /**
   * Follows a {@link HostPool#update}: starts checking new hosts, stops checking removed ones, and
   * restarts every check when the settings changed (or stops them all when the health check was
   * turned off). Does nothing before {@link #start()} or after {@link #close()}.
   */
  public void refresh() {
    synchronized (lock) {
      if (started && !closed) {
        reconcile();
      }
    }
  }

  /**
   * Cancels every scheduled check and abandons those in flight; idempotent. The results of checks
   * already running are no longer reported.
   */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      cancelAll();
    }
  }

  /** Returns the hosts being checked now, for tests. */
  Set<Host> checkedHosts() {
    synchronized (lock) {
      return Set.copyOf(probes.keySet());
    }
  }

  private void reconcile() {
    Upstream upstream = pool.upstream();
    HealthCheck check = upstream.healthCheck().orElse(null);
    ProxyProtocol.Version proxy = upstream.proxyProtocol().map(ProxyProtocol::version).orElse(null);
    if (!Objects.equals(check, running) || proxy != runningProxy) {
      cancelAll();
      running = check;
      runningProxy = proxy;
    }
    if (check == null) {
      return;
    }
    List<Host> hosts = upstream.hosts();
    Set<Host> wanted = new HashSet<>(hosts);
    probes.values().removeIf(p -> {
      if (wanted.contains(p.host)) {
        return false;
      }
      p.cancel();
      return true;
    });
    long intervalNanos = Nanos.saturated(check.interval());
    Bootstrap template = null;
    for (int i = 0; i < hosts.size(); i++) {
      Host host = hosts.get(i);
      if (probes.containsKey(host)) {
        continue;
      }
      if (template == null) {
        template = bootstrap(check, proxy);
      }
      Probe probe = new Probe(host, template, check, upstream.name(), proxy);
      probes.put(host, probe);
      probe.start((long) ((double) intervalNanos * i / hosts.size()), intervalNanos);
    }
  }

  private void cancelAll() {
    for (Probe p : probes.values()) {
      p.cancel();
    }
    probes.clear();
  }

  private Bootstrap bootstrap(HealthCheck check, ProxyProtocol.Version proxy) {
    int timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, check.timeout().toMillis()));
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(transport.socketChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis);
    if (proxy == null) {
      // Closing with a reset leaves no TIME_WAIT socket behind per check on lb4j's side, which
      // would pile up with many hosts and short intervals.
      return b.option(ChannelOption.SO_LINGER, 0).handler(NO_OP);
    }
    // A check that sends a PROXY header closes normally: a reset could discard the header
    // before the host has read it, and a host that requires it would log a bad connection.
    return b.handler(HAProxyMessageEncoder.INSTANCE);
  }

  /** The checks of one host, all run on one event loop. */
  private final class Probe implements Runnable, ChannelFutureListener {

    final Host host;
    private final HealthCheck check;
    private final String upstreamName;
    private final ProxyProtocol.Version proxy;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private volatile boolean cancelled;
    private volatile ScheduledFuture<?> schedule;
    private volatile ChannelFuture inFlight;

    Probe(
        Host host,
        Bootstrap template,
        HealthCheck check,
        String upstreamName,
        ProxyProtocol.Version proxy) {
      this.host = host;
      this.proxy = proxy;
      this.check = check;
      this.upstreamName = upstreamName;
      this.loop = group.next();
      this.bootstrap = template.clone(loop);
    }

    void start(long delayNanos, long intervalNanos) {
      try {
        schedule = loop.scheduleAtFixedRate(this, delayNanos, intervalNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        log.debug("health checks of host {} of upstream {} not scheduled: event loop is shut down",
            host, upstreamName);
      }
    }

    @Override
    public void run() {
      if (cancelled || inFlight != null) {
        return;
      }
      ChannelFuture connect;
      try {
        connect = resolver.connect(bootstrap, host);
      } catch (RuntimeException e) {
        // A task that throws would stop its fixed-rate schedule; count it as a failed check.
        report(false, e);
        return;
      }
      inFlight = connect;
      connect.addListener(this);
    }

    @Override
    public void operationComplete(ChannelFuture connect) {
      inFlight = null;
      if (connect.isSuccess()) {
        if (proxy == null) {
          connect.channel().close();
        } else {
          // HAProxy's check-send-proxy: LOCAL (v2) or UNKNOWN (v1), then a normal close.
          connect
              .channel()
              .writeAndFlush(ProxyHeader.forHealthCheck(proxy))
              .addListener(ChannelFutureListener.CLOSE);
        }
      }
      if (!cancelled) {
        report(connect.isSuccess(), connect.cause());
      }
    }

    private void report(boolean success, Throwable cause) {
      if (!pool.reportHealthCheck(host, success)) {
        return;
      }
      if (success) {
        log.info("host {} of upstream {} is up: {} health check(s) in a row passed",
            host, upstreamName, check.rise());
      } else {
        log.info("host {} of upstream {} is down: {} health check(s) in a row failed, last: {}",
            host, upstreamName, check.fall(), Failures.describe(cause));
      }
    }

    void cancel() {
      cancelled = true;
      ScheduledFuture<?> s = schedule;
      if (s != null) {
        s.cancel(false);
      }
      ChannelFuture connect = inFlight;
      if (connect != null) {
        connect.cancel(false);
        connect.channel().close();
      }
    }
  }

  /** Health check connections read nothing; the pipeline only needs a handler to exist. */
  @ChannelHandler.Sharable
  private static final class NoOp extends ChannelInboundHandlerAdapter {}
}
