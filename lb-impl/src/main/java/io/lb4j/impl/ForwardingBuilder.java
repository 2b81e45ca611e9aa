package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Defaults;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.TlsContextFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The settings that {@link LoadBalancer.Builder} and {@link Forwarder.Builder} share. Each setter
 * checks its argument at once. A builder may build several times; each built object gets its own
 * copy of the settings, and building does not change the builder. A bad value is refused with an
 * {@link InvalidSettingException} naming the setter. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class ForwardingBuilder<B extends ForwardingBuilder<B>> {

  TlsContextFactory tls;
  Duration handshakeTimeout = Defaults.HANDSHAKE_TIMEOUT;
  Authorizer authorizer = Authorizer.allowAll();
  RateLimiter rateLimiter = RateLimiter.unlimited();
  ConnectionListener listener = ConnectionListener.NONE;
  Duration drainTimeout = Defaults.DRAIN_TIMEOUT;
  int ioThreads;
  LongSupplier nanoClock = System::nanoTime;
  Duration dnsQueryTimeout = Defaults.DNS_QUERY_TIMEOUT;
  List<InetSocketAddress> nameServers = List.of();
  OnRevoke onRevoke = OnRevoke.KEEP;

  ForwardingBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /**
   * Terminates mutual TLS on client connections with engines from {@code tls}; without it,
   * clients speak plain TCP and have the anonymous identity.
   *
   * @param tls the factory, or null for plain TCP
   * @return this builder
   */
  public B tls(TlsContextFactory tls) {
    this.tls = tls;
    return self();
  }

  /**
   * Sets how long a TLS handshake may take before the client is refused.
   *
   * @param timeout a positive duration; default {@link Defaults#HANDSHAKE_TIMEOUT}
   * @return this builder
   * @throws InvalidSettingException if it is not positive (setting {@code handshakeTimeout})
   */
  public B handshakeTimeout(Duration timeout) {
    this.handshakeTimeout = InvalidSettingException.requirePositive(timeout, "handshakeTimeout");
    return self();
  }

  /**
   * Sets who may reach which upstream. Default: everyone may reach every upstream.
   *
   * @param authorizer the authorizer
   * @return this builder
   */
  public B authorizer(Authorizer authorizer) {
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    return self();
  }

  /**
   * Sets the rate limiter consulted after authorization. Default: unlimited.
   *
   * @param rateLimiter the limiter
   * @return this builder
   */
  public B rateLimiter(RateLimiter rateLimiter) {
    this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
    return self();
  }

  /**
   * Adds a listener of connection events; several listeners are called in the order added.
   *
   * @param listener the listener
   * @return this builder
   */
  public B listener(ConnectionListener listener) {
    Objects.requireNonNull(listener, "listener");
    this.listener =
        this.listener == ConnectionListener.NONE
            ? listener
            : ConnectionListener.both(this.listener, listener);
    return self();
  }

  /**
   * Sets how long {@code close()} lets open connections finish before closing them.
   *
   * @param timeout zero or positive; default {@link Defaults#DRAIN_TIMEOUT}
   * @return this builder
   * @throws InvalidSettingException if it is negative (setting {@code drainTimeout})
   */
  public B drainTimeout(Duration timeout) {
    this.drainTimeout = InvalidSettingException.requireNotNegative(timeout, "drainTimeout");
    return self();
  }

  /**
   * Sets the number of event-loop threads; 0 (the default) uses one per core.
   *
   * @param threads zero or positive
   * @return this builder
   * @throws InvalidSettingException if it is negative (setting {@code ioThreads})
   */
  public B ioThreads(int threads) {
    this.ioThreads = (int) InvalidSettingException.requireNotNegative(threads, "ioThreads");
    return self();
  }

  /**
   * Sets the clock of durations and passive health marks, for tests. Default {@link System#nanoTime}.
   *
   * @param nanoClock a monotonic clock in nanoseconds
   * @return this builder
   */
  public B nanoClock(LongSupplier nanoClock) {
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    return self();
  }

  /**
   * Sets how long one DNS query for a host's name may go unanswered before the next name server
   * is asked. A host given by name is looked up when a connection or a health check connects to
   * it (answers are cached for their TTL); a lookup that fails is a failed connect attempt of that
   * host. IP literals are never looked up.
   *
   * @param timeout a positive duration; default {@link Defaults#DNS_QUERY_TIMEOUT}
   * @return this builder
   * @throws InvalidSettingException if it is not positive (setting {@code dnsQueryTimeout})
   */
  public B dnsQueryTimeout(Duration timeout) {
    this.dnsQueryTimeout = InvalidSettingException.requirePositive(timeout, "dnsQueryTimeout");
    return self();
  }

  /**
   * Sets the DNS servers that host names are looked up at, asked in this order, instead of those
   * of the system's resolver configuration ({@code /etc/resolv.conf}). The hosts file is read
   * first either way.
   *
   * @param servers IP addresses and ports of DNS servers, none unresolved; an empty list (the
   *     default) means the system's servers
   * @return this builder
   * @throws InvalidSettingException if a server's address is unresolved or its port is 0
   */
  public B nameServers(List<InetSocketAddress> servers) {
    Objects.requireNonNull(servers, "nameServers");
    for (InetSocketAddress server : servers) {
      Objects.requireNonNull(server, "nameServers must not contain null");
      if (server.isUnresolved() || server.getPort() == 0) {
        throw InvalidSettingException.of(
            "nameServers", server, "must be IP addresses with a port but was " + server);
      }
    }
    this.nameServers = List.copyOf(servers);
    return self();
  }

  /**
   * Sets what becomes of open connections whose client certificate is revoked while they run, as
   * the TLS factory learns it (a reloaded revocation list): {@link OnRevoke#KEEP} lets them run
   * on, {@link OnRevoke#CLOSE} closes them with {@link io.lb4j.api.CloseReason#REVOKED}. New
   * handshakes of a revoked certificate are refused either way. Without TLS it has no effect.
   *
   * @param onRevoke the choice; default {@link OnRevoke#KEEP}, as HAProxy does
   * @return this builder
   */
  public B onRevoke(OnRevoke onRevoke) {
    this.onRevoke = Objects.requireNonNull(onRevoke, "onRevoke");
    return self();
  }

  /**
   * Returns what was set so far, as a value of its own: later setter calls do not change it, so a
   * builder may build any number of times.
   */
  Settings settings() {
    return settings(ConnectionListener.NONE);
  }

  /**
   * Returns what was set so far, with {@code own} heard after the listeners the user added. The
   * builder itself is not changed, so two objects built from it never hear each other's events.
   */
  Settings settings(ConnectionListener own) {
    int threads = ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    ConnectionListener heard =
        own == ConnectionListener.NONE
            ? listener
            : listener == ConnectionListener.NONE ? own : ConnectionListener.both(listener, own);
    return new Settings(
        tls, handshakeTimeout, authorizer, rateLimiter, heard, drainTimeout, threads, nanoClock,
        dnsQueryTimeout, nameServers, onRevoke);
  }
}
