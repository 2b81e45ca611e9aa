package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.reliability.Crowd.Streamed;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsConfigException;
import io.lb4j.tls.TlsEngine;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live changes and shutdown while many mTLS clients stream: a host-list update and certificate
 * reloads drop no established connection; close() drains, letting streams finish within the drain
 * timeout and ending the rest when it passes, and returns either way.
 */
@ExtendWith(NettyLeakDetector.class)
class GracefulLifecycleIT {

  private static final int CHUNK = 16 * 1024;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RESULTS_LIMIT = Scale.time(Duration.ofMinutes(3));
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
  private static final int STREAMS = Scale.of(200, 1000);

  @TempDir Path dir;
  private MutualTls mtls;
  private PemTlsContextFactory factory;
  @RegisterExtension final Closer closer = new Closer();
  private final Events events = new Events();

  @BeforeEach
  void writeMaterial() {
    mtls = new MutualTls(dir);
    factory = closer.track(mtls.factory(TlsEngine.AUTO));
  }

  private LoadBalancer.Builder builder(Upstream upstream) {
    return LoadBalancer.builder().upstream(upstream, ANY).tls(factory).listener(events);
  }

  private Crowd.Connector trusted(InetSocketAddress address) {
    return () -> MutualTls.open(mtls.trusted(), address, READ_TIMEOUT);
  }

  private static Upstream upstream(EchoUpstream... hosts) {
    return Upstream.builder("api").hosts(List.of(hosts).stream().map(EchoUpstream::host).toList())
        .build();
  }

  @Test
  void hostListUpdateWhileStreamingDropsNoEstablishedConnection() throws Exception {
    EchoUpstream leaving = closer.track(Upstreams.echo());
    EchoUpstream staying = closer.track(Upstreams.echo());
    EchoUpstream arriving = closer.track(Upstreams.echo());
    Upstream before = upstream(leaving, staying);
    LoadBalancer lb = closer.track(builder(before).build().start());
    InetSocketAddress address = lb.boundAddress("api");
    long length = 256 * 1024;

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(STREAMS, trusted(address), length, CHUNK)) {
      crowd.awaitEstablished();
      int onLeaving = leaving.openConnections();
      assertThat(onLeaving).as("streams on the host about to be removed").isPositive();
      lb.update(before.toBuilder().hosts(List.of(staying.host(), arriving.host())).build());
      assertThat(lb.hostStatus("api"))
          .filteredOn(s -> s.host().equals(leaving.host()))
          .singleElement()
          .satisfies(s -> assertThat(s.draining()).isTrue());
      // New clients, while the old ones still stream, go to the current hosts only.
      for (int i = 0; i < 10; i++) {
        try (SSLSocket s = MutualTls.open(mtls.trusted(), address, READ_TIMEOUT)) {
          assertThat(CheckedStreams.echo(s, 1024, 1024).outcome()).isEqualTo(Outcome.COMPLETED);
          assertThat(events.hostOf(s.getLocalPort())).isIn(staying.host(), arriving.host());
        }
      }
      results = crowd.release().results(RESULTS_LIMIT);
    }

    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("stream through the update: %s", s.result()).isEqualTo(Outcome.COMPLETED));
    long onRemovedHost = results.stream().filter(s -> leaving.host().equals(events.hostOf(s.localPort()))).count();
    assertThat(onRemovedHost).isPositive();
    await("the removed host leaves once drained").atMost(Duration.ofSeconds(10))
        .until(() -> lb.hostStatus("api").stream().map(HostStatus::host).noneMatch(leaving.host()::equals));
    Quiet.assertNothingHeld(lb, "api");
    Figures.record("host-list update while streaming (mTLS)",
        "%d streams of %s, %d of them on the removed host: all completed intact (%s verified)",
        STREAMS, Figures.mib(length), onRemovedHost, Figures.mib(STREAMS * length));
  }

  @Test
  void certificateReloadsWhileStreamingDropNoEstablishedConnection() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(builder(upstream(a, b)).build().start());
    InetSocketAddress address = lb.boundAddress("api");
    int reloads = 5;

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(STREAMS, trusted(address), Long.MAX_VALUE, CHUNK)) {
      crowd.awaitEstablished().release();
      X509Certificate current = factory.certificate();
      for (int i = 0; i < reloads; i++) {
        if (i == 2) {
          // A file caught half-written does not load; the material in use stays in use.
          mtls.truncateServerCertificate();
          assertThatThrownBy(factory::reload).isInstanceOf(TlsConfigException.class);
          try (SSLSocket s = MutualTls.open(mtls.trusted(), address, READ_TIMEOUT)) {
            assertThat(s.getSession().getPeerCertificates()[0]).isEqualTo(current);
          }
        }
        IssuedCertificate next = mtls.rewriteServerCertificate();
        current = next.certificate();
        assertThat(factory.reload()).as("reload %d picked up new files", i).isTrue();
        try (SSLSocket s = MutualTls.open(mtls.trusted(), address, READ_TIMEOUT)) {
          assertThat(((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber())
              .as("the certificate a new client sees after reload %d", i)
              .isEqualTo(next.certificate().getSerialNumber());
          assertThat(CheckedStreams.echo(s, 1024, 1024).outcome()).isEqualTo(Outcome.COMPLETED);
        }
      }
      results = crowd.stopStreaming().results(RESULTS_LIMIT);
    }

    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("stream through %d reloads: %s", reloads, s.result()).isEqualTo(Outcome.COMPLETED));
    long verified = results.stream().mapToLong(s -> s.result().bytesVerified()).sum();
    assertThat(events.closedWith(e -> e.reason() != CloseReason.CLIENT_CLOSED)).isZero();
    Quiet.assertNothingHeld(lb, "api");
    Figures.record("certificate reloads while streaming (mTLS)",
        "%d streams through %d reloads of the server certificate and one of a half-written file:"
            + " all completed intact, %s verified; each new client saw the certificate in force",
        STREAMS, reloads, Figures.mib(verified));
  }

  @Test
  void clientCaReloadThatDistrustsStreamingClientsKeepsTheirConnectionsAndRefusesNewOnes()
      throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(builder(upstream(a, b)).build().start());
    InetSocketAddress address = lb.boundAddress("api");

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(STREAMS, trusted(address), Long.MAX_VALUE, CHUNK)) {
      crowd.awaitEstablished().release();
      mtls.rewriteClientCaWithAnotherCa();
      assertThat(factory.reload()).isTrue();
      // A new connection of the same client is refused now...
      assertThatThrownBy(() -> {
        try (SSLSocket s = MutualTls.open(mtls.trusted(), address, READ_TIMEOUT)) {
          if (CheckedStreams.echo(s, 1024, 1024).outcome() != Outcome.COMPLETED) {
            throw new java.io.IOException("refused after the handshake");
          }
        }
      }).isInstanceOf(java.io.IOException.class);
      // ... while its established streams go on.
      results = crowd.stopStreaming().results(RESULTS_LIMIT);
    }

    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("stream established before its CA was dropped: %s", s.result())
        .isEqualTo(Outcome.COMPLETED));
    await().until(() -> events.closedCount() == STREAMS + 1);
    assertThat(events.refusalReasons()).containsExactlyEntriesOf(
        java.util.Map.of(io.lb4j.api.RefusalReason.TLS_FAILED, 1L));
    Quiet.assertNothingHeld(lb, "api");
    long verified = results.stream().mapToLong(s -> s.result().bytesVerified()).sum();
    Figures.record("client CA reload that distrusts streaming clients (mTLS)",
        "%d streams kept going after their CA left the bundle (%s verified); the same client's new"
            + " connection was refused", STREAMS, Figures.mib(verified));
  }

  @Test
  void closeDrainsStreamsThatFinishWithinTheDrainTimeout() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = builder(upstream(a, b)).drainTimeout(Duration.ofMinutes(2)).build().start();
    InetSocketAddress address = lb.boundAddress("api");
    long length = 256 * 1024;

    List<Streamed> results;
    CompletableFuture<Void> closing;
    java.util.concurrent.atomic.AtomicInteger probes = new java.util.concurrent.atomic.AtomicInteger();
    try (Crowd crowd = Crowd.start(STREAMS, trusted(address), length, CHUNK)) {
      crowd.awaitEstablished();
      closing = CompletableFuture.runAsync(lb::close);
      await("the listener is closed").untilAsserted(() ->
          assertThatThrownBy(() -> {
            new Socket(address.getAddress(), address.getPort()).close();
            probes.incrementAndGet();
          }));
      assertThat(closing).as("close() waits for the streams").isNotDone();
      results = crowd.release().results(RESULTS_LIMIT);
    }
    closing.get(1, TimeUnit.MINUTES);

    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("stream during the drain: %s", s.result()).isEqualTo(Outcome.COMPLETED));
    // The streams are the connections that carried bytes. A probe's connect may have completed
    // in the kernel's accept queue before the listener closed: lb4j saw it or not, never more.
    assertThat(events.closedWith(e -> e.bytesFromClient() > 0)).isEqualTo(STREAMS);
    assertThat(events.closedCount()).isBetween(STREAMS, STREAMS + probes.get());
    assertThat(events.closedWith(e -> e.bytesFromClient() > 0
        && e.reason() != CloseReason.CLIENT_CLOSED)).as("streams not ended by their client").isZero();
    // A probe lb4j accepted while closing is refused (shutting down); nothing else ends otherwise.
    assertThat(events.reasons().keySet()).isSubsetOf(CloseReason.CLIENT_CLOSED, CloseReason.REFUSED);
    assertThat(lb.openConnections()).isZero();
    await().until(() -> a.openConnections() == 0 && b.openConnections() == 0);
    Figures.record("close() drains streams (mTLS)",
        "%d streams of %s open when close() began: all completed intact, then close() returned",
        STREAMS, Figures.mib(length));
  }

  @Test
  void closeEndsStreamsStillOpenAtTheDrainTimeoutAndReturns() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = builder(upstream(a, b)).drainTimeout(Duration.ofSeconds(2)).build().start();
    InetSocketAddress address = lb.boundAddress("api");

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(STREAMS, trusted(address), Long.MAX_VALUE, CHUNK)) {
      crowd.awaitEstablished().release();
      CompletableFuture.runAsync(lb::close).get(1, TimeUnit.MINUTES);
      results = crowd.results(RESULTS_LIMIT);
    }

    // Every stream was cut by the shutdown, none hung, and what arrived before the cut is intact.
    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("stream at the drain timeout: %s", s.result()).isEqualTo(Outcome.CUT));
    assertThat(events.closedCount()).isEqualTo(STREAMS);
    assertThat(events.reasons()).containsOnlyKeys(CloseReason.SHUTDOWN);
    assertThat(lb.openConnections()).isZero();
    await().until(() -> a.openConnections() == 0 && b.openConnections() == 0);
    long verified = results.stream().mapToLong(s -> s.result().bytesVerified()).sum();
    Figures.record("close() at the drain timeout (mTLS)",
        "%d endless streams: close() returned after the 2 s drain timeout, all %d ended with reason"
            + " SHUTDOWN, none hung, %s received intact before the cut", STREAMS, STREAMS,
        Figures.mib(verified));
  }

}
