package io.lb4j.tls;

import static org.awaitility.Awaitility.await;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.OnRevoke;
import io.lb4j.testkit.upstream.TestUpstream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A real {@link LoadBalancer} with TLS in front of one test host, recording the event of every
 * connection it closes. The caller keeps ownership of the TLS factory and the host.
 */
final class TlsBalancer implements AutoCloseable {

  private final LoadBalancer lb;
  private final String upstream;
  private final ConcurrentLinkedQueue<ConnectionEvent> closed;

  private TlsBalancer(LoadBalancer lb, String upstream,
      ConcurrentLinkedQueue<ConnectionEvent> closed) {
    this.lb = lb;
    this.upstream = upstream;
    this.closed = closed;
  }

  /** Starts on a free loopback port with lb4j's default authorizer. */
  static TlsBalancer start(PemTlsContextFactory tls, TestUpstream host) {
    return start(tls, host, (Authorizer) null);
  }

  /**
   * Starts on a free loopback port.
   *
   * @param authorizer the rules, or null for lb4j's default
   */
  static TlsBalancer start(PemTlsContextFactory tls, TestUpstream host, Authorizer authorizer) {
    return start(tls, host, authorizer, OnRevoke.KEEP);
  }

  /** Starts on a free loopback port, doing {@code onRevoke} with connections of revoked clients. */
  static TlsBalancer start(PemTlsContextFactory tls, TestUpstream host, OnRevoke onRevoke) {
    return start(tls, host, null, onRevoke);
  }

  private static TlsBalancer start(
      PemTlsContextFactory tls, TestUpstream host, Authorizer authorizer, OnRevoke onRevoke) {
    ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
    Upstream upstream = Upstream.builder("hc").hosts(List.of(host.host())).build();
    LoadBalancer.Builder builder = LoadBalancer.builder()
        .upstream(upstream, new InetSocketAddress("127.0.0.1", 0))
        .tls(tls)
        // Generous, so a loaded machine does not turn a slow handshake into a refusal.
        .handshakeTimeout(Duration.ofSeconds(20))
        .onRevoke(onRevoke)
        .listener(new ConnectionListener() {
          @Override
          public void onClosed(ConnectionEvent event) {
            closed.add(event);
          }
        });
    if (authorizer != null) {
      builder.authorizer(authorizer);
    }
    return new TlsBalancer(builder.build().start(), upstream.name(), closed);
  }

  InetSocketAddress address() {
    return lb.boundAddress(upstream);
  }

  /** Waits for the event of the one connection made so far, and returns it. */
  ConnectionEvent onlyEvent() {
    await().atMost(Duration.ofSeconds(20)).until(() -> !closed.isEmpty());
    return closed.peek();
  }

  /** Returns the events of the connections closed so far, oldest first. */
  List<ConnectionEvent> events() {
    return List.copyOf(closed);
  }

  @Override
  public void close() {
    lb.close();
  }
}
