package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.transport.ListenerGroup;
import io.lb4j.impl.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A load balancer that owns its listeners: each accepts client connections for one upstream, or
 * for several told apart by the server name (SNI) of the TLS handshake, and forwards them to the
 * least-connected healthy host of that upstream.
 *
 * <pre>{@code
 * Upstream echo = Upstream.builder("echo").hosts(List.of(Host.parse("127.0.0.1:7001"))).build();
 * try (LoadBalancer lb = LoadBalancer.builder()
 *     .upstream(echo, new InetSocketAddress("127.0.0.1", 9443))
 *     .tls(tlsContextFactory)
 *     .build()
 *     .start()) {
 *   // ... serve until closed
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #start()} binds every listener or none; {@link #close()} stops accepting,
 * lets open connections finish for the drain timeout, then closes them. Host lists, the
 * authorizer and the rate limiter can be replaced while running without dropping connections.
 *
 * <h2>Replacing a running process</h2>
 * On Linux with the epoll transport, a listener on a fixed port sets {@code SO_REUSEPORT} (unless
 * {@link Builder#reusePort(boolean) reusePort(false)}), so a second process of the same user can
 * listen on the same address while the first still runs: an upgrade without a moment where
 * nobody listens. A listener that finds others already on its address at start takes every new
 * connection of the address for itself (see {@code ListenerGroup}); the older listeners then get
 * none, and {@link #close()} empties their accept queues before closing them, so no client that
 * connected is reset. A process that holds the port without {@code SO_REUSEPORT}, or as another
 * user, still makes {@link #start()} fail with "Address already in use".
 *
 * <p>Status reads ({@link #hostStatus}, {@link #openConnections}, {@link #boundAddress}) take no
 * lock: they read the current state, so they answer at once while {@link #close()} drains on
 * another thread, which is when a metrics scrape or a health probe needs them most.
 */
public final class LoadBalancer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);
  /** How long a closing listener that shares its address waits for its accept queue to empty. */
  private static final Duration HANDOVER_LIMIT = Duration.ofSeconds(2);
  private static final Duration HANDOVER_POLL = Duration.ofMillis(5);

  private final Settings settings;
  private final List<Upstream> upstreams;
  private final List<Listener> listeners;
  private final Transport transport;
  private final boolean reusePort;
  /**
   * Serialises the moves between phases. Held through {@link #start()}'s binding (bounded by the
   * bind itself) and for the instant {@link #close()} moves to draining, never through a drain;
   * status reads never take it.
   */
  private final Object transitions = new Object();
  /** Written only holding {@link #transitions}; read by anyone, without a lock. */
  private volatile State state = State.NEW;
  /** Handed out by {@link #admin()}, made once after start; guarded by {@link #transitions}. */
  private Admin admin;
  /** Completes once a close has drained and stopped everything (or had nothing to stop). */
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  /** Where a load balancer is in its life; it moves only forward, in this order. */
  private enum Phase {
    NEW,
    RUNNING,
    DRAINING,
    CLOSED
  }

  /**
   * An immutable view of the lifecycle, replaced whole at each move so a reader sees one
   * consistent phase, core and set of listeners.
   *
   * @param phase where it is
   * @param core null before start and when close came first
   * @param bound the listening channel of each upstream, by name; empty unless running
   */
  private record State(Phase phase, ForwardingCore core, Map<String, Channel> bound) {
    static final State NEW = new State(Phase.NEW, null, Map.of());
    static final State CLOSED_UNSTARTED = new State(Phase.CLOSED, null, Map.of());

    State moveTo(Phase next) {
      return new State(next, core, next == Phase.RUNNING ? bound : Map.of());
    }
  }

  private LoadBalancer(Builder b) {
    this.settings = b.settings();
    this.upstreams = List.copyOf(b.upstreams.values());
    this.listeners = b.listeners();
    this.transport = Transport.best();
    this.reusePort = b.reusePort && transport == Transport.EPOLL;
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds every listener and starts the health checks.
   *
   * @return this load balancer
   * @throws ListenerBindException if a listener cannot bind, with the address and the upstreams
   *     it was to serve; then nothing stays bound and it is closed
   * @throws IllegalStateException if it was started before, or if it was closed (even before it
   *     started: a closed load balancer stays closed)
   */
  public LoadBalancer start() {
    synchronized (transitions) {
      switch (state.phase()) {
        case NEW -> {}
        case RUNNING -> throw new IllegalStateException("load balancer was already started");
        case DRAINING, CLOSED ->
            throw new IllegalStateException("load balancer is closed; build a new one");
      }
      EventLoopGroup group =
          transport.newGroup(settings.ioThreads(), new DefaultThreadFactory("lb4j-io", true));
      ForwardingCore core = new ForwardingCore(settings, transport, group, upstreams);
      Map<String, Channel> bound = new LinkedHashMap<>();
      try {
        for (Listener listener : listeners) {
          Channel channel = bind(group, core, listener);
          listener.upstreams().forEach(name -> bound.put(name, channel));
        }
      } catch (RuntimeException e) {
        bound.values().stream().distinct().forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        state = State.CLOSED_UNSTARTED;
        stopped.complete(null);
        throw e;
      }
      core.start();
      state = new State(Phase.RUNNING, core, Collections.unmodifiableMap(bound));
      log.info(
          "lb4j started on {} ({} transport, {} TLS) for upstreams {}",
          bound.values().stream().distinct().map(Channel::localAddress).toList(),
          transport.name().toLowerCase(Locale.ROOT),
          settings.tls() == null ? "no" : "mutual",
          upstreams.stream().map(Upstream::name).toList());
      return this;
    }
  }

  private Channel bind(EventLoopGroup group, ForwardingCore core, Listener listener) {
    Route route = listener.route();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, io.lb4j.api.Defaults.LISTEN_BACKLOG)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    core.accept(ch, route, listener.acceptProxy());
                  }
                });
    // Port 0 asks for a fresh port, which nothing is to share.
    boolean shared = reusePort && listener.address().getPort() != 0;
    if (shared) {
      bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
    }
    Channel channel;
    try {
      channel = bootstrap.bind(listener.address()).syncUninterruptibly().channel();
    } catch (Exception e) {
      throw new ListenerBindException(listener.address(), listener.upstreams(), e);
    }
    if (shared) {
      takeOverNewConnections(channel);
    }
    return channel;
  }

  /**
   * Steers the new connections of the listener's address to {@code channel} when other listeners
   * share the address: a previous process being replaced, or a mistake that this log line names.
   */
  private static void takeOverNewConnections(Channel channel) {
    InetSocketAddress address = (InetSocketAddress) channel.localAddress();
    int listeners = ListenerGroup.listeners(address);
    if (listeners <= 1) {
      return;
    }
    try {
      ListenerGroup.steerTo(channel, listeners - 1);
      log.info(
          "{} already had {} other listener(s) (SO_REUSEPORT, same user): new connections now come"
              + " to this process; stop the other one to finish an upgrade (if it is not a previous"
              + " instance of this service, two services share the port by mistake)",
          hostPort(address), listeners - 1);
    } catch (IOException e) {
      log.warn(
          "{} is shared with {} other listener(s) but new connections could not be steered here"
              + " ({}): they are spread over all, and stopping another one may reset clients"
              + " waiting in its accept queue unless net.ipv4.tcp_migrate_req=1",
          hostPort(address), listeners - 1, e.getMessage());
    }
  }

  private static String hostPort(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  /**
   * Closes a listener. When other processes listen on the same address, the kernel no longer
   * gives this one new connections (the newest listener steered them to itself), but clients it
   * queued before may still wait to be accepted: closing now would reset them. So it keeps
   * accepting until its accept queue is seen empty, for at most {@link #HANDOVER_LIMIT}.
   */
  private void closeListener(Channel channel) {
    // Stop accepting at once: reading the kernel's listener table below takes a while on a busy
    // host, and a listener that stops should not take new clients meanwhile.
    channel.config().setAutoRead(false);
    if (reusePort && channel.isActive()) {
      InetSocketAddress address = (InetSocketAddress) channel.localAddress();
      int listeners = ListenerGroup.listeners(address);
      if (listeners > 1) {
        // Shared: what is queued here must still be accepted, or closing would reset it.
        channel.config().setAutoRead(true);
        long deadline = System.nanoTime() + HANDOVER_LIMIT.toNanos();
        int waiting;
        while ((waiting = ListenerGroup.acceptQueue(channel)) > 0
            && System.nanoTime() - deadline < 0) {
          try {
            Thread.sleep(HANDOVER_POLL.toMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        log.info(
            "handed {} over to {} other listener(s){}{}",
            hostPort(address), listeners - 1,
            waiting > 0 ? "; " + waiting + " connection(s) still queued here are lost" : "",
            Boolean.FALSE.equals(ListenerGroup.migratesRequests())
                ? " (net.ipv4.tcp_migrate_req is 0: a client whose handshake was half done here"
                    + " is reset; see the upgrade section of docs/operations.md)"
                : "");
      }
    }
    channel.close().syncUninterruptibly();
  }

  /**
   * Returns the address a listener is bound to, which tells the port when it was configured as 0.
   *
   * @param upstream the name of an upstream served by that listener
   * @return the bound address
   * @throws IllegalArgumentException if there is no such upstream
   * @throws IllegalStateException if the load balancer is not running: not started, or closing
   *     (its listeners close as the drain begins)
   */
  public InetSocketAddress boundAddress(String upstream) {
    if (upstreams.stream().noneMatch(u -> u.name().equals(upstream))) {
      throw new IllegalArgumentException("no upstream named '" + upstream + "'");
    }
    Channel channel = state.bound().get(upstream);
    if (channel == null) {
      throw new IllegalStateException("load balancer is not running");
    }
    return (InetSocketAddress) channel.localAddress();
  }

  /**
   * Replaces the hosts and settings of a running upstream. Hosts that stay keep their connections
   * and counts; removed hosts take no new connections and drain; added hosts start taking
   * connections at once (and are health-checked when the upstream has a health check).
   *
   * @param upstream the new definition of an upstream this load balancer serves, by name
   * @throws IllegalArgumentException if no upstream of that name is served
   * @throws IllegalStateException if not started
   */
  public void update(Upstream upstream) {
    Objects.requireNonNull(upstream, "upstream");
    running().update(upstream);
  }

  /**
   * Replaces the authorizer; connections that are past authorization are not affected.
   *
   * @param authorizer the new authorizer
   */
  public void authorizer(Authorizer authorizer) {
    running().authorizer(Objects.requireNonNull(authorizer, "authorizer"));
  }

  /**
   * Replaces the rate limiter for new connections. Connections admitted before are released to
   * the limiter that admitted them.
   *
   * @param rateLimiter the new limiter
   */
  public void rateLimiter(RateLimiter rateLimiter) {
    running().rateLimiter(Objects.requireNonNull(rateLimiter, "rateLimiter"));
  }

  /**
   * Tells whether another socket listens on one of this load balancer's addresses now: another
   * process of the same user shares the port through {@code SO_REUSEPORT}, as while one process
   * replaces another (see the class description). Before {@link #start()} it tells whether
   * starting would join such company (or, if that process did not set {@code SO_REUSEPORT},
   * fail to bind). Reads the kernel's socket tables: call it rarely, and never on an event loop.
   *
   * @return true if another socket listens on a fixed-port address of this load balancer; false
   *     when closing or closed, or where ports are never shared
   */
  public boolean sharesListeners() {
    if (!reusePort) {
      return false;
    }
    State now = state;
    if (now.phase() == Phase.NEW) {
      return listeners.stream().map(Listener::address)
          .filter(a -> a.getPort() != 0)
          .anyMatch(a -> ListenerGroup.listeners(a) > 0);
    }
    // A listener on a fresh port (configured as 0) never has company: nothing else can bind it.
    return now.bound().values().stream().distinct()
        .anyMatch(c -> ListenerGroup.listeners((InetSocketAddress) c.localAddress()) > 1);
  }

  /**
   * Returns the hosts of an upstream with their connection counts and health.
   *
   * <p>Answers at once in any phase after start, a drain included.
   *
   * @param upstream an upstream's name
   * @return one status per host, including removed hosts still draining
   * @throws IllegalArgumentException if no upstream of that name is served
   * @throws IllegalStateException if not started
   */
  public List<HostStatus> hostStatus(String upstream) {
    return running().hostStatus(upstream);
  }

  /**
   * Returns how the discovery of an upstream's hosts fares: the age of its host set, its failures
   * by kind, the current outage. Answers at once, from any thread.
   *
   * @param upstream an upstream's name
   * @return the status, or empty when the upstream's hosts are listed rather than discovered
   * @throws IllegalArgumentException if no upstream of that name is served
   * @throws IllegalStateException if not started
   */
  public java.util.Optional<io.lb4j.impl.discovery.DiscoveryStatus> discoveryStatus(String upstream) {
    return running().discoveryStatus(upstream);
  }

  /**
   * Returns the name a discovered host came from (the DNS name queried, or the SRV target), for
   * logs and metrics. Lock-free; cheap enough to call per connection.
   *
   * @param upstream an upstream's name
   * @param host one of its hosts
   * @return the name, or empty when the host is listed or unknown
   * @throws IllegalStateException if not started
   */
  public java.util.Optional<String> origin(String upstream, io.lb4j.api.Host host) {
    return running().origin(upstream, host);
  }

  /**
   * Returns the operator's controls of this load balancer: host states, weights, client rate
   * limit state. Each call returns a view of the same state; pending closes of disabled hosts are
   * shared by all of them.
   *
   * @throws IllegalStateException if not started
   */
  public Admin admin() {
    ForwardingCore core = running();
    synchronized (transitions) {
      if (admin == null || admin.core() != core) {
        admin = new Admin(core, upstreams.stream().map(Upstream::name).toList());
      }
      return admin;
    }
  }

  /**
   * Returns the number of client connections open now, in any state. Answers at once in any phase
   * after start, a drain included.
   *
   * @throws IllegalStateException if not started
   */
  public int openConnections() {
    return running().openConnections();
  }

  /** Returns the core of a started load balancer, running, draining or closed. */
  private ForwardingCore running() {
    ForwardingCore core = state.core();
    if (core == null) {
      throw new IllegalStateException("load balancer is not started");
    }
    return core;
  }

  /**
   * Stops accepting, lets open connections finish for the drain timeout, closes the rest, and
   * stops the event loops. Blocks until done, also when another thread's call is draining;
   * idempotent. Closed before {@link #start()}, a load balancer stays closed: a later start
   * fails. The drain holds no lock that status reads or other threads' calls wait on, except a
   * concurrent close, which waits for the drain to end.
   */
  @Override
  public void close() {
    State running;
    synchronized (transitions) {
      running = state;
      switch (running.phase()) {
        case NEW -> {
          state = State.CLOSED_UNSTARTED;
          stopped.complete(null);
          return;
        }
        case RUNNING -> state = running.moveTo(Phase.DRAINING);
        case DRAINING, CLOSED -> running = null;
      }
    }
    if (running == null) {
      stopped.join();
      return;
    }
    try {
      running.bound().values().stream().distinct().forEach(this::closeListener);
      running.core().shutdown(settings.drainTimeout());
      log.info("lb4j stopped");
    } finally {
      synchronized (transitions) {
        state = running.moveTo(Phase.CLOSED);
      }
      stopped.complete(null);
    }
  }

  /**
   * One listening address and the upstreams it serves.
   *
   * @param acceptProxy whether its clients are balancers in front that send a PROXY header first
   */
  private record Listener(
      InetSocketAddress address, Route route, List<String> upstreams, boolean acceptProxy) {}

  /**
   * Builds a {@link LoadBalancer}. Each call checks its arguments at once and refuses a bad one
   * with an {@link InvalidSettingException}; the rules of a shared listener are checked as each
   * upstream is added, so the upstream named by a {@link ListenerConflictException} is the later
   * of the two. Not thread-safe.
   */
  public static final class Builder extends ForwardingBuilder<Builder> {

    private final Map<String, Upstream> upstreams = new LinkedHashMap<>();
    private final Map<String, InetSocketAddress> listenOf = new HashMap<>();
    private final Map<String, String> serverNameOf = new HashMap<>();
    private final java.util.Set<String> acceptingProxy = new java.util.HashSet<>();
    /** Per shared address: the upstream without a server name, if any. */
    private final Map<InetSocketAddress, String> fallbackOn = new HashMap<>();
    /** Per shared address: the upstream of each server name. */
    private final Map<InetSocketAddress, Map<String, String>> namedOn = new HashMap<>();

    private boolean reusePort = true;

    private Builder() {}

    /**
     * Sets whether listeners on a fixed port set {@code SO_REUSEPORT}, so that the process that
     * replaces this one can listen on the same addresses before this one stops (see the class
     * description). It applies on Linux with the epoll transport; elsewhere a port is never shared.
     * Turn it off to make a second process on the same port fail to start instead.
     *
     * @param reusePort default true
     * @return this builder
     */
    public Builder reusePort(boolean reusePort) {
      this.reusePort = reusePort;
      return this;
    }

    /**
     * Serves {@code upstream} on its own listener.
     *
     * @param upstream the upstream; its name must be unique in this load balancer
     * @param listen the address to listen on; port 0 picks a free port
     * @return this builder
     * @throws InvalidSettingException as {@link #upstream(Upstream, InetSocketAddress, String)}
     */
    public Builder upstream(Upstream upstream, InetSocketAddress listen) {
      return upstream(upstream, listen, null);
    }

    /**
     * Serves {@code upstream} on a listener that it may share with other upstreams: a client whose
     * TLS handshake names {@code serverName} (SNI) is routed to it. On a shared listener, at most
     * one upstream may have no server name; it takes clients that send none or an unknown one.
     * Upstreams listening on port 0 never share: each gets a free port of its own.
     *
     * @param upstream the upstream; its name must be unique in this load balancer
     * @param listen the address to listen on
     * @param serverName the SNI host name that selects this upstream, or null; compared without
     *     regard to case
     * @return this builder
     * @throws NullPointerException if {@code upstream} or {@code listen} is null
     * @throws InvalidSettingException if an upstream of that name was added before (setting
     *     {@code upstream}) or {@code serverName} is blank (setting {@code serverName})
     * @throws ListenerConflictException if another upstream on {@code listen} has no server name
     *     either, or the same one
     */
    public Builder upstream(Upstream upstream, InetSocketAddress listen, String serverName) {
      Objects.requireNonNull(upstream, "upstream");
      Objects.requireNonNull(listen, "listen");
      String name = upstream.name();
      if (upstreams.containsKey(name)) {
        throw new InvalidSettingException(
            "upstream", name, "upstream '" + name + "' is added twice");
      }
      if (serverName != null && serverName.isBlank()) {
        throw InvalidSettingException.of("serverName", serverName, "must not be blank");
      }
      String sni = serverName == null ? null : serverName.toLowerCase(Locale.ROOT);
      if (listen.getPort() != 0) {
        claim(listen, name, sni);
      }
      upstreams.put(name, upstream);
      listenOf.put(name, listen);
      if (sni != null) {
        serverNameOf.put(name, sni);
      }
      return this;
    }

    /**
     * Makes the listener of {@code upstream} read a PROXY protocol header (v1 or v2) at the start
     * of every connection, as a balancer in front (a cloud network load balancer, HAProxy with
     * {@code send-proxy-v2}) sends it, before the TLS handshake. The client address it carries
     * becomes the connection's client address everywhere lb4j reports one, and the source of the
     * PROXY header lb4j itself sends on. A connection without a valid header within the handshake
     * timeout is refused with reason {@code PROTOCOL}; a {@code LOCAL} header (the balancer's
     * health check) keeps the connection's own address. Upstreams that share a listener must all
     * set it, or none.
     *
     * @param upstream the name of an upstream added before
     * @return this builder
     * @throws InvalidSettingException if no upstream of that name was added (setting
     *     {@code acceptProxy})
     */
    public Builder acceptProxy(String upstream) {
      Objects.requireNonNull(upstream, "upstream");
      if (!upstreams.containsKey(upstream)) {
        throw InvalidSettingException.of(
            "acceptProxy", upstream, "names no upstream added before: '" + upstream + "'");
      }
      acceptingProxy.add(upstream);
      return this;
    }

    /** Takes the fallback or a server name of a shared listener for {@code name}, or fails. */
    private void claim(InetSocketAddress listen, String name, String sni) {
      if (sni == null) {
        String other = fallbackOn.putIfAbsent(listen, name);
        if (other != null) {
          throw new ListenerConflictException(listen, name, other, null);
        }
      } else {
        String other = namedOn.computeIfAbsent(listen, k -> new HashMap<>()).putIfAbsent(sni, name);
        if (other != null) {
          throw new ListenerConflictException(listen, name, other, sni);
        }
      }
    }

    /**
     * Returns the load balancer, not yet started.
     *
     * @throws InvalidSettingException if no upstream was added (setting {@code upstreams}), a
     *     listener routes by server name without TLS (setting {@code tls}), or upstreams sharing
     *     a listener disagree on {@link #acceptProxy} (setting {@code acceptProxy})
     */
    public LoadBalancer build() {
      if (upstreams.isEmpty()) {
        throw new InvalidSettingException("upstreams", null, "at least one upstream is needed");
      }
      listeners();
      return new LoadBalancer(this);
    }

    List<Listener> listeners() {
      // Upstreams that name the same address share a listener; port 0 asks for a fresh port each
      // time, so such upstreams never share. upstream() refused the ambiguous ones.
      Map<Object, List<String>> byListener = new LinkedHashMap<>();
      for (String name : upstreams.keySet()) {
        InetSocketAddress address = listenOf.get(name);
        Object key = address.getPort() == 0 ? name : address;
        byListener.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
      }
      List<Listener> listeners = new ArrayList<>();
      for (List<String> names : byListener.values()) {
        InetSocketAddress address = listenOf.get(names.get(0));
        String fallback = null;
        Map<String, String> named = new HashMap<>();
        for (String name : names) {
          String sni = serverNameOf.get(name);
          if (sni == null) {
            fallback = name;
          } else {
            named.put(sni, name);
          }
        }
        List<String> accepting = names.stream().filter(acceptingProxy::contains).toList();
        if (!accepting.isEmpty() && accepting.size() != names.size()) {
          // Named: the first upstream that disagrees with the listener's first one.
          String first = names.get(0);
          boolean firstAccepts = acceptingProxy.contains(first);
          String later =
              names.stream().filter(n -> acceptingProxy.contains(n) != firstAccepts).findFirst().get();
          throw InvalidSettingException.of(
              "acceptProxy",
              later,
              "must be the same for upstreams sharing listener " + address + ": '"
                  + (firstAccepts ? first : later) + "' accepts PROXY headers and '"
                  + (firstAccepts ? later : first) + "' does not");
        }
        if (!named.isEmpty() && tls == null) {
          throw new InvalidSettingException(
              "tls", null, "listener " + address + " routes by serverName, which needs tls");
        }
        listeners.add(
            new Listener(
                address, new Route(fallback, named), List.copyOf(names), !accepting.isEmpty()));
      }
      return listeners;
    }
  }
}
