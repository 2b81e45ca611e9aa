package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.MalformedTls;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.bench.soak.StreamResult;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.data.TestData;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SinkUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that fail or attack lb4j's mutual-TLS listener: resets mid-stream, clients that vanish
 * during the handshake, a thousand connections that never send a ClientHello, and a flood of
 * failing handshakes. lb4j refuses or closes each of them, releases what they held, and keeps
 * serving well-behaved clients meanwhile.
 */
@ExtendWith(NettyLeakDetector.class)
class ClientFaultsIT {

  private static final int CHUNK = 16 * 1024;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

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

  private LoadBalancer start(Upstream upstream, Duration handshakeTimeout) {
    return closer.track(
        LoadBalancer.builder()
            .upstream(upstream, ANY)
            .tls(factory)
            .handshakeTimeout(handshakeTimeout)
            .listener(events)
            .build()
            .start());
  }

  private static Upstream upstream(io.lb4j.testkit.upstream.TestUpstream... hosts) {
    return Upstream.builder("api").hosts(Arrays.stream(hosts).map(h -> h.host()).toList()).build();
  }

  private SSLSocket trustedClient(InetSocketAddress address) throws IOException {
    return MutualTls.open(mtls.trusted(), address, READ_TIMEOUT);
  }

  /** A trusted client's checked echo of {@code length} bytes, on a new connection. */
  private StreamResult servedExchange(InetSocketAddress address, long length) throws IOException {
    try (SSLSocket socket = trustedClient(address)) {
      return CheckedStreams.echo(socket, length, CHUNK);
    }
  }

  @Test
  void clientsThatResetMidStreamAreReleasedWhileOthersComplete() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = start(upstream(a, b), Duration.ofSeconds(10));
    InetSocketAddress address = lb.boundAddress("api");
    int clients = Scale.of(40, 400);
    long length = 512 * 1024;

    List<Future<StreamResult>> futures;
    List<Integer> resetPorts = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Parallel threads = Parallel.threads(clients, "client")) {
      futures = threads.submitAll(clients, i -> () -> {
        SSLSocket socket = trustedClient(address);
        if (i % 2 == 0) {
          try (socket) {
            return CheckedStreams.echo(socket, length, CHUNK);
          }
        }
        // Two rounds, then a third written but not read back, then a reset: bytes are in
        // flight both ways when the client disappears.
        StreamResult r = CheckedStreams.echo(socket, 2L * CHUNK, CHUNK);
        byte[] more = new byte[CHUNK];
        TestData.fill(more, 2L * CHUNK);
        socket.getOutputStream().write(more);
        socket.getOutputStream().flush();
        resetPorts.add(socket.getLocalPort());
        socket.setSoLinger(true, 0);
        socket.close();
        return r;
      });
      List<StreamResult> results = Parallel.results(futures, Scale.time(Duration.ofMinutes(2)));
      for (int i = 0; i < clients; i++) {
        assertThat(results.get(i).outcome()).as("client %d: %s", i, results.get(i))
            .isEqualTo(Outcome.COMPLETED);
      }
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> events.closedCount() == clients);
    for (int port : resetPorts) {
      assertThat(events.closeOf(port).reason())
          .as("why lb4j closed a client that reset")
          .isIn(CloseReason.CLIENT_ERROR, CloseReason.CLIENT_CLOSED);
    }
    Quiet.assertNothingHeld(lb, "api");
    await("lb4j closed the upstream side of every connection")
        .until(() -> a.openConnections() == 0 && b.openConnections() == 0);
    Figures.record("client resets mid-stream (mTLS)", "%d clients, %d reset mid-stream, %d completed, %s verified",
        clients, resetPorts.size(), clients - resetPorts.size(),
        Figures.mib((clients - resetPorts.size()) * length));
  }

  /** The ways a client can leave in the middle of its handshake. */
  private enum Vanishing {
    RESET_RIGHT_AFTER_CONNECT,
    HALF_A_CLIENT_HELLO_THEN_FIN,
    CLIENT_HELLO_THEN_RESET,
    CLIENT_HELLO_THEN_FIN_AFTER_THE_SERVER_ANSWERED
  }

  @Test
  void clientsThatVanishDuringTheHandshakeAreRefusedAndReleased() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    LoadBalancer lb = start(upstream(sink), Duration.ofSeconds(10));
    InetSocketAddress address = lb.boundAddress("api");
    List<byte[]> hellos = MalformedTls.realClientHellos();
    int each = Scale.of(25);
    int total = each * Vanishing.values().length;

    try (Parallel threads = Parallel.threads(8, "vanishing")) {
      List<Future<Void>> futures = threads.submitAll(total, i -> () -> {
        Vanishing how = Vanishing.values()[i % Vanishing.values().length];
        byte[] hello = hellos.get(i % hellos.size());
        Socket socket = PlainSockets.open(address, READ_TIMEOUT);
        switch (how) {
          case RESET_RIGHT_AFTER_CONNECT -> { }
          case HALF_A_CLIENT_HELLO_THEN_FIN -> {
            socket.getOutputStream().write(hello, 0, hello.length / 2);
            socket.shutdownOutput();
            PlainSockets.readUntilClosed(socket);
          }
          case CLIENT_HELLO_THEN_RESET -> socket.getOutputStream().write(hello);
          case CLIENT_HELLO_THEN_FIN_AFTER_THE_SERVER_ANSWERED -> {
            socket.getOutputStream().write(hello);
            assertThat(socket.getInputStream().read()).as("the server's first byte").isEqualTo(22);
            socket.shutdownOutput();
            PlainSockets.readUntilClosed(socket);
          }
          default -> throw new AssertionError(how);
        }
        socket.setSoLinger(true, 0);
        socket.close();
        return null;
      });
      Parallel.results(futures, Scale.time(Duration.ofMinutes(2)));
    }

    await().atMost(Duration.ofSeconds(30))
        .until(() -> events.accepted.get() == total && events.closedCount() == total);
    assertThat(events.refusalReasons()).containsOnlyKeys(RefusalReason.TLS_FAILED);
    assertThat(events.reasons()).containsOnlyKeys(CloseReason.REFUSED);
    assertThat(sink.acceptedConnections()).as("connections that reached the upstream").isZero();
    Quiet.assertNothingHeld(lb, "api");
    Figures.record("clients vanish during the handshake (mTLS)", "%d connections in %d ways, all refused TLS_FAILED and released",
        total, Vanishing.values().length);
  }

  @Test
  void thousandSilentConnectionsAreClosedAtTheHandshakeTimeoutWhileAGoodClientIsServed()
      throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    // The good client must be served while every silent connection is still open, so the opening
    // of a thousand sockets and five exchanges must fit in it with a wide margin even on a loaded
    // 2-core machine (where they take about a second); the test waits it out once.
    Duration handshakeTimeout = Duration.ofSeconds(20);
    LoadBalancer lb = start(upstream(echo), handshakeTimeout);
    InetSocketAddress address = lb.boundAddress("api");
    int silent = 1000;
    int goodExchanges = 5;
    long length = 256 * 1024;

    List<Socket> sockets = new ArrayList<>(silent);
    try {
      for (int i = 0; i < silent; i++) {
        sockets.add(PlainSockets.open(address, READ_TIMEOUT));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> lb.openConnections() == silent);

      for (int i = 0; i < goodExchanges; i++) {
        StreamResult r = servedExchange(address, length);
        assertThat(r.outcome()).as("good client while %d are silent: %s", silent, r)
            .isEqualTo(Outcome.COMPLETED);
      }
      assertThat(events.refusals).as("silent connections closed before the good client was done")
          .isEmpty();

      for (Socket s : sockets) {
        PlainSockets.readUntilClosed(s);
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> events.refusals.size() == silent);
    assertThat(events.refusals).extracting(Refuse::reason).containsOnly(RefusalReason.TLS_FAILED);
    assertThat(events.refusals).allSatisfy(r -> assertThat(r.detail()).contains("timed out"));
    Quiet.assertNothingHeld(lb, "api");
    Figures.record("1,000 connections that never send a ClientHello (mTLS)",
        "%d closed at the %s handshake timeout; a good client echoed %d x %s meanwhile",
        silent, handshakeTimeout, goodExchanges, Figures.mib(length));
  }

  @Test
  void floodOfFailingHandshakesDoesNotStopServedClients() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = start(upstream(echo), Duration.ofSeconds(10));
    InetSocketAddress address = lb.boundAddress("api");
    int servedThreads = 4;
    int exchangesPerThread = Scale.of(25);
    long length = 64 * 1024;
    int floodThreads = 4;
    int floodLimit = Scale.of(3000);
    List<byte[]> hellos = MalformedTls.realClientHellos();

    servedLatencies(address, servedThreads, 5, length); // warms up both ends
    long[] baseline = servedLatencies(address, servedThreads, exchangesPerThread, length);

    AtomicBoolean servedDone = new AtomicBoolean();
    AtomicInteger flooded = new AtomicInteger();
    AtomicInteger floodServed = new AtomicInteger();
    long[] underFlood;
    long floodStart = System.nanoTime();
    try (Parallel flood = Parallel.threads(floodThreads, "flood")) {
      // One thread fails the expensive way (a whole handshake with an untrusted certificate); the
      // others cheaply: a real ClientHello, which costs lb4j its key exchange and signature, then
      // garbage once the server has answered.
      List<Future<Void>> floods = flood.submitAll(floodThreads, t -> () -> {
        int i;
        while (!servedDone.get() && (i = flooded.incrementAndGet()) <= floodLimit) {
          boolean served = t == 0
              ? untrustedHandshakeWasServed(address)
              : helloThenGarbageWasServed(address, hellos.get(i % hellos.size()));
          if (served) {
            floodServed.incrementAndGet();
          }
        }
        return null;
      });
      try {
        underFlood = servedLatencies(address, servedThreads, exchangesPerThread, length);
      } finally {
        servedDone.set(true);
      }
      Parallel.results(floods, Scale.time(Duration.ofMinutes(2)));
    }
    long floodNanos = System.nanoTime() - floodStart;
    int attempts = Math.min(flooded.get(), floodLimit);

    assertThat(floodServed.get()).as("untrusted clients that were served").isZero();
    int served = servedThreads * (exchangesPerThread * 2 + 5);
    await().atMost(Duration.ofSeconds(30)).until(() -> events.closedCount() == served + attempts);
    assertThat(events.refusalReasons()).containsOnlyKeys(RefusalReason.TLS_FAILED);
    assertThat(events.refusals).hasSize(attempts);
    assertThat(events.closedWith(e -> e.reason() == CloseReason.CLIENT_CLOSED)).isEqualTo(served);
    Quiet.assertNothingHeld(lb, "api");
    // Generous: the flood shares two cores with the served clients; this only catches starvation.
    assertThat(percentile(underFlood, 50))
        .as("median exchange under the flood against %s ms without", percentile(baseline, 50) / 1e6)
        .isLessThan(25 * percentile(baseline, 50) + Duration.ofSeconds(1).toNanos());
    Figures.record("flood of failing handshakes (mTLS)",
        "%d failing handshakes (%.0f/s) while %d served exchanges of %s completed; served latency"
            + " p50/p99 %.1f/%.1f ms without the flood, %.1f/%.1f ms under it",
        attempts, attempts / (floodNanos / 1e9), servedThreads * exchangesPerThread,
        Figures.mib(length), percentile(baseline, 50) / 1e6, percentile(baseline, 99) / 1e6,
        percentile(underFlood, 50) / 1e6, percentile(underFlood, 99) / 1e6);
  }

  private boolean untrustedHandshakeWasServed(InetSocketAddress address) throws IOException {
    try (SSLSocket socket = MutualTls.open(mtls.untrusted(), address, READ_TIMEOUT)) {
      socket.getOutputStream().write(new byte[] {1, 2, 3});
      socket.getOutputStream().flush();
      return socket.getInputStream().read() >= 0;
    } catch (SocketTimeoutException hung) {
      throw hung;
    } catch (IOException refused) {
      return false;
    }
  }

  private static boolean helloThenGarbageWasServed(InetSocketAddress address, byte[] hello)
      throws IOException {
    try (Socket socket = PlainSockets.open(address, READ_TIMEOUT)) {
      socket.getOutputStream().write(hello);
      if (socket.getInputStream().read() != 22) {
        return false;
      }
      socket.getOutputStream().write(new byte[] {22, 3, 3, 0, 4, 1, 2, 3, 4});
      socket.shutdownOutput();
      PlainSockets.readUntilClosed(socket);
      return false;
    } catch (SocketTimeoutException hung) {
      throw hung;
    } catch (IOException refused) {
      return false;
    }
  }

  /** Runs exchanges (new connection, checked echo, close) and returns their durations, sorted. */
  private long[] servedLatencies(InetSocketAddress address, int threads, int each, long length)
      throws Exception {
    try (Parallel served = Parallel.threads(threads, "served")) {
      List<Future<long[]>> futures = served.submitAll(threads, t -> () -> {
        long[] nanos = new long[each];
        for (int i = 0; i < each; i++) {
          long start = System.nanoTime();
          StreamResult r = servedExchange(address, length);
          nanos[i] = System.nanoTime() - start;
          assertThat(r.outcome()).as("served exchange: %s", r).isEqualTo(Outcome.COMPLETED);
        }
        return nanos;
      });
      return Parallel.results(futures, Scale.time(Duration.ofMinutes(2))).stream()
          .flatMapToLong(Arrays::stream).sorted().toArray();
    }
  }

  private static long percentile(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}
