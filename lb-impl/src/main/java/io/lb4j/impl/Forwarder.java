package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.transport.Transport;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * Forwards connections that the caller accepted itself, for an application that owns its accept
 * loop: each connection handed to {@link #forward} goes through the same TLS, admission, host
 * choice and relay as a {@link LoadBalancer}'s, to one upstream.
 *
 * <pre>{@code
 * try (Forwarder forwarder = Forwarder.builder(upstream).build();
 *      ServerSocketChannel server = ServerSocketChannel.open().bind(address)) {
 *   while (running) {
 *     ForwardedConnection c = forwarder.forward(server.accept());
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe: {@code forward} may be called from any thread. Connections handed over run on
 * the forwarder's own event loops, using the JDK's NIO transport because they arrive as JDK
 * channels. {@link #close()} drains like {@link LoadBalancer#close()}.
 */
public final class Forwarder implements AutoCloseable {

  private final ForwardingCore core;
  private final EventLoopGroup group;
  private final Route route;
  private final Settings settings;
  private final boolean acceptProxy;
  private final Map<Long, CompletableFuture<ConnectionEvent>> pending = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private Forwarder(Builder b) {
    Upstream upstream = b.upstream;
    this.route = new Route(upstream.name(), Map.of());
    this.acceptProxy = b.acceptProxy;
    ConnectionListener completing =
        new ConnectionListener() {
          @Override
          public void onClosed(ConnectionEvent event) {
            CompletableFuture<ConnectionEvent> f = pending.remove(event.connection().id());
            if (f != null) {
              f.complete(event);
            }
          }
        };
    // Heard after the user's listeners, so a caller woken by closed() finds them called; added to
    // this forwarder's settings only, never to the builder, which may build again.
    this.settings = b.settings(completing);
    this.group =
        Transport.NIO.newGroup(settings.ioThreads(), new DefaultThreadFactory("lb4j-forward", true));
    this.core = new ForwardingCore(settings, Transport.NIO, group, List.of(upstream));
    core.start();
  }

  /**
   * Starts a builder for a forwarder to {@code upstream}.
   *
   * @param upstream where connections go
   * @return the builder
   */
  public static Builder builder(Upstream upstream) {
    return new Builder(upstream);
  }

  /**
   * Takes over an accepted, connected socket and forwards it. From here on the forwarder owns the
   * channel and closes it when the connection ends.
   *
   * <p>The returned handle's {@link ForwardedConnection#closed()} completes exactly once, however
   * the connection ends, and the listeners hear of it as of any connection: also when no event
   * loop would take the channel (the event's reason is {@code CLIENT_ERROR}, its error says why),
   * and when {@link #close()} runs while this call is under way (the connection is refused with
   * {@code SHUTTING_DOWN}, or drained like the others if it was accepted before the close began).
   *
   * @param accepted a connected socket channel; it is switched to non-blocking mode
   * @return a handle on the forwarded connection
   * @throws IllegalStateException if {@link #close()} was called before this call (the channel is
   *     closed too, and no event is emitted)
   * @throws IllegalArgumentException if {@code accepted} is not connected (it is closed too)
   */
  public ForwardedConnection forward(SocketChannel accepted) {
    Objects.requireNonNull(accepted, "accepted");
    if (closed) {
      closeQuietly(accepted);
      throw new IllegalStateException("forwarder is closed");
    }
    if (!accepted.isConnected()) {
      // Such a channel would never become active, so its connection would never end.
      closeQuietly(accepted);
      throw new IllegalArgumentException("accepted channel is not connected");
    }
    long handedOverAt = core.nanoTime();
    NioSocketChannel channel = new NioSocketChannel(accepted);
    ProxiedConnection connection = core.accept(channel, route, acceptProxy);
    long id = connection.info().id();
    CompletableFuture<ConnectionEvent> done = new CompletableFuture<>();
    // Before the registration: the connection may end on its event loop before register returns.
    pending.put(id, done);
    // Notified on whichever thread fails it: an event loop that close() stopped rejects the
    // registration on this thread, and could not run a listener notification either.
    ChannelPromise registration =
        new DefaultChannelPromise(channel, ImmediateEventExecutor.INSTANCE);
    registration.addListener(
        (ChannelFutureListener)
            f -> {
              if (!f.isSuccess()) {
                core.neverRegistered(connection, channel, handedOverAt, f.cause());
              }
            });
    group.next().register(registration);
    return new ForwardedConnection() {
      @Override
      public long id() {
        return id;
      }

      @Override
      public CompletionStage<ConnectionEvent> closed() {
        return done.minimalCompletionStage();
      }

      @Override
      public void close() {
        if (done.isDone()) {
          return;
        }
        try {
          connection.closeFromOutside(CloseReason.SHUTDOWN);
        } catch (RejectedExecutionException e) {
          // The event loop has stopped: it ended this connection before it did, or never took
          // the channel, and reported it either way.
        }
      }
    };
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing a socket we refuse: nothing more to do about a failure.
    }
  }

  /**
   * Replaces the upstream's hosts and settings; see {@link LoadBalancer#update}.
   *
   * @param upstream the new definition, with the same name
   */
  public void update(Upstream upstream) {
    core.update(Objects.requireNonNull(upstream, "upstream"));
  }

  /**
   * Replaces the authorizer.
   *
   * @param authorizer the new authorizer
   */
  public void authorizer(Authorizer authorizer) {
    core.authorizer(Objects.requireNonNull(authorizer, "authorizer"));
  }

  /**
   * Replaces the rate limiter.
   *
   * @param rateLimiter the new limiter
   */
  public void rateLimiter(RateLimiter rateLimiter) {
    core.rateLimiter(Objects.requireNonNull(rateLimiter, "rateLimiter"));
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
    return core.discoveryStatus(upstream);
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
    return core.origin(upstream, host);
  }

  /** Returns the upstream's hosts with their connection counts and health. */
  public List<HostStatus> hostStatus() {
    return core.hostStatus(route.defaultUpstream());
  }

  /** Returns the number of forwarded connections open now. */
  public int openConnections() {
    return core.openConnections();
  }

  /** Lets open connections finish for the drain timeout, closes the rest; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    core.shutdown(settings.drainTimeout());
  }

  /** Returns the number of handles whose connection has not ended yet, for tests. */
  int pendingHandles() {
    return pending.size();
  }

  /** Builds a {@link Forwarder}. Not thread-safe. */
  public static final class Builder extends ForwardingBuilder<Builder> {
    private final Upstream upstream;
    private boolean acceptProxy;

    private Builder(Upstream upstream) {
      this.upstream = Objects.requireNonNull(upstream, "upstream");
    }

    /**
     * Reads a PROXY protocol header (v1 or v2) at the start of every connection handed over, as
     * sent by a balancer in front: its client address becomes the connection's. A connection
     * without a valid header within the handshake timeout is refused with reason
     * {@code PROTOCOL}; a {@code LOCAL} header keeps the connection's own address. Default off.
     *
     * @param acceptProxy whether connections start with a PROXY header
     * @return this builder
     */
    public Builder acceptProxy(boolean acceptProxy) {
      this.acceptProxy = acceptProxy;
      return this;
    }

    /** Returns the forwarder, ready to take connections. */
    public Forwarder build() {
      return new Forwarder(this);
    }
  }
}
