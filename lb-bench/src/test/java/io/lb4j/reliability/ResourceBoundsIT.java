package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.MalformedTls;
import io.lb4j.bench.soak.ResourceSampler;
import io.lb4j.bench.soak.Resources;
import io.lb4j.bench.soak.Seeds;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.bench.soak.StreamResult;
import io.lb4j.impl.Forwarder;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SourceUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What lb4j holds under many connections: memory bounded by back-pressure when a thousand clients
 * read slower than their hosts send, and nothing at all (descriptors, leases, connections,
 * buffers) once tens of thousands of connections of every outcome have come and gone.
 */
@ExtendWith(NettyLeakDetector.class)
class ResourceBoundsIT {

  @RegisterExtension static final NettyLeakDetector LEAKS = new NettyLeakDetector();

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  // Per slow connection, lb4j may hold what its client channel has queued up to Netty's write
  // high-water mark (64 KiB), the one read from the host that crossed it (Netty's adaptive
  // receive buffer stops at 64 KiB), and the TLS records made of those (16 KiB records plus a
  // few dozen bytes each): about 150 KiB. 192 KiB per connection leaves room for the allocator's
  // rounding; 64 MiB covers what the allocator keeps for itself and the TLS engines' own buffers.
  private static final long PER_SLOW_CONNECTION = 192 * 1024;
  private static final long ALLOCATOR_SLACK = 64L * 1024 * 1024;
  // What the test's accept loop gives each client socket as its kernel send buffer (Linux
  // doubles it), which turns Linux's autotuning off for it; see the test's comment.
  private static final int CLIENT_SEND_BUFFER = 64 * 1024;

  /**
   * A thousand mTLS clients that stop reading while their host sends 512 KiB each: lb4j stops
   * reading from the host once a client's channel is full, so its memory stays near 150 KiB per
   * connection rather than the 500 MiB that buffering everything would take.
   *
   * <p>The connections go through a {@link Forwarder} whose accept loop (the test's, as an
   * embedding application's would) sets each client socket's send buffer. Through a
   * {@link LoadBalancer}, which leaves socket buffers to Linux's autotuning, each stalled client
   * also pins up to {@code net.ipv4.tcp_wmem}'s maximum (4 MiB) of kernel memory on loopback
   * before lb4j sees any back-pressure: a thousand of them took this machine's TCP memory to its
   * {@code tcp_mem} limit (2.2 GB), after which Linux resets orphaned sockets and stalls every
   * TCP connection on the machine. That is reported in docs/reliability.md; the bound tested here
   * is lb4j's own memory.
   */
  @Test
  void thousandSlowReadersKeepLb4jMemoryBoundedByBackPressure() throws Exception {
    int readers = 1000;
    long offered = 512 * 1024;
    MutualTls mtls = new MutualTls(dir);
    PemTlsContextFactory factory = closer.track(mtls.factory(TlsEngine.AUTO));
    // Ends with a FIN and stays open until the client leaves.
    SourceUpstream source =
        closer.track(Upstreams.source(offered, SourceUpstream.Ending.SHUTDOWN_OUTPUT));
    Events events = new Events();
    Forwarder forwarder = closer.track(Forwarder.builder(
            Upstream.builder("source").hosts(List.of(source.host())).build())
        .tls(factory)
        .listener(events)
        .build());
    ServerSocketChannel listener = closer.track(ServerSocketChannel.open());
    listener.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
    InetSocketAddress address = (InetSocketAddress) listener.getLocalAddress();
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          SocketChannel accepted = listener.accept();
          accepted.setOption(StandardSocketOptions.SO_SNDBUF, CLIENT_SEND_BUFFER);
          forwarder.forward(accepted);
        }
      } catch (IOException closed) {
        // the test closed the listener
      }
    }, "slow-reader-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    // The clients' TLS and the test's own allocations are JDK heap, never Netty's: Netty's direct
    // memory and its allocator's pools are lb4j's alone in this JVM.
    LEAKS.collectLeaks(); // also collects garbage, for a quiet baseline
    Resources baseline = Resources.now();

    List<SSLSocket> sockets = new ArrayList<>(readers);
    ResourceSampler sampler = ResourceSampler.start(Duration.ofMillis(50));
    try (sampler; Parallel threads = Parallel.threads(8, "slow-reader")) {
      List<Future<SSLSocket>> connecting = threads.submitAll(readers, i -> () -> {
        SSLSocket s = (SSLSocket) mtls.trusted().getSocketFactory().createSocket();
        s.setReceiveBufferSize(8 * 1024); // a small window: the kernel holds little for it
        s.setTcpNoDelay(true);
        s.connect(address, 10_000);
        s.setSoTimeout((int) READ_TIMEOUT.toMillis());
        s.startHandshake();
        return s;
      });
      sockets.addAll(Parallel.results(connecting, Scale.time(Duration.ofMinutes(3))));
      await().atMost(Duration.ofSeconds(60))
          .failFast(() -> assertThat(events.closed).as("readers closed by lb4j").isEmpty())
          .until(() -> forwarder.openConnections() == readers);

      // Nobody reads: every connection fills the kernel's buffers and then lb4j's, until
      // back-pressure stops lb4j reading from the host. Wait for that: memory stops moving.
      AtomicReference<Resources> previous = new AtomicReference<>(sampler.sample());
      await("lb4j's memory stops growing while nobody reads")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .failFast(() -> assertThat(events.closed).as("readers closed by lb4j").isEmpty())
          .until(() -> {
            Resources now = sampler.sample();
            Resources before = previous.getAndSet(now);
            return now.nettyDirect() == before.nettyDirect()
                && now.allocatorDirect() == before.allocatorDirect();
          });
      Resources stalled = sampler.sample();
      long kernelTcp = kernelTcpMemory();
      Resources peak = sampler.max();

      long bound = readers * PER_SLOW_CONNECTION + ALLOCATOR_SLACK;
      long directGrowth = peak.nettyDirect() - baseline.nettyDirect();
      assertThat(directGrowth)
          .as("peak growth of Netty's direct memory with %d stalled readers (%s)", readers, peak)
          .isLessThan(bound);
      assertThat(peak.allocatorHeap() - baseline.allocatorHeap())
          .as("growth of the allocator's heap pools").isLessThan(bound);

      // Every reader then reads its whole stream: intact, and lb4j resumes each one.
      List<Future<StreamResult>> reads = new ArrayList<>();
      for (SSLSocket s : sockets) {
        reads.add(threads.submit(() -> CheckedStreams.download(s, offered)));
      }
      List<StreamResult> results = Parallel.results(reads, Scale.time(Duration.ofMinutes(3)));
      assertThat(results).allSatisfy(r -> assertThat(r.outcome()).as("%s", r).isEqualTo(Outcome.COMPLETED));

      Figures.record("1,000 slow readers (mTLS, " + factory.engine() + ", Forwarder)",
          "%d readers, %s offered each (%s in all); lb4j's direct memory grew at most %s (bound %s),"
              + " allocator heap %s; at the stall %s; peak heap %s, peak resident %s;"
              + " kernel TCP memory (whole machine) at the stall %s; then every stream read intact",
          readers, Figures.mib(offered), Figures.mib(offered * readers), Figures.mib(directGrowth),
          Figures.mib(bound), Figures.mib(peak.allocatorHeap() - baseline.allocatorHeap()),
          stalled, Figures.mib(peak.heapUsed()), Figures.mib(peak.residentBytes()),
          Figures.mib(kernelTcp));
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> events.closedCount() == readers);
    assertThat(forwarder.openConnections()).isZero();
    assertThat(forwarder.hostStatus()).allSatisfy(h -> assertThat(h.activeConnections()).isZero());
    assertThat(events.reasons().keySet()).as("close reasons")
        .isSubsetOf(CloseReason.CLIENT_CLOSED, CloseReason.UPSTREAM_CLOSED);
  }

  /** Returns the TCP memory of the whole machine, from /proc/net/sockstat, or -1. */
  private static long kernelTcpMemory() {
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/net/sockstat"))) {
        if (line.startsWith("TCP:")) {
          String[] words = line.split("\\s+");
          for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals("mem")) {
              return Long.parseLong(words[i + 1]) * 4096;
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** The outcomes the churn test mixes, with their weights. */
  private enum Kind {
    ECHO(30), DOWNLOAD(15), CLIENT_RESET(10), UPSTREAM_RESET(10), NO_HOST(10), CLIENT_LEAVES(5),
    TLS_ECHO(8), TLS_UNTRUSTED(4), TLS_MALFORMED(5), TLS_HELLO_THEN_RESET(3);

    final int weight;

    Kind(int weight) {
      this.weight = weight;
    }

    boolean tls() {
      return name().startsWith("TLS_");
    }

    static Kind pick(Random random) {
      int n = random.nextInt(100);
      for (Kind k : values()) {
        n -= k.weight;
        if (n < 0) {
          return k;
        }
      }
      throw new AssertionError();
    }
  }

  @Test
  void manyConnectionsOfMixedOutcomesLeaveDescriptorsLeasesAndBuffersAtBaseline()
      throws Exception {
    int total = Scale.of(12_000);
    MutualTls mtls = new MutualTls(dir);
    PemTlsContextFactory factory = closer.track(mtls.factory(TlsEngine.AUTO));
    EchoUpstream echoA = closer.track(Upstreams.echo());
    EchoUpstream echoB = closer.track(Upstreams.echo());
    SourceUpstream source = closer.track(Upstreams.source(4096, SourceUpstream.Ending.CLOSE));
    TestUpstream resetting = closer.track(Upstreams.resetAfter(50));
    Events plainEvents = new Events();
    Events tlsEvents = new Events();
    // A cap on concurrent connections, per identity, that the churn never reaches unless the
    // limiter's slots leak: every path that ends a connection must give its slot back.
    RateLimiter plainCap = LocalRateLimiter.builder().defaults(ClientLimit.concurrent(CAP)).build();
    RateLimiter tlsCap = LocalRateLimiter.builder().defaults(ClientLimit.concurrent(CAP)).build();
    LoadBalancer plain = closer.track(LoadBalancer.builder()
        .upstream(Upstream.builder("echo").hosts(List.of(echoA.host(), echoB.host())).build(), ANY)
        .upstream(Upstream.builder("source").hosts(List.of(source.host())).build(), ANY)
        .upstream(Upstream.builder("resetting").hosts(List.of(resetting.host())).build(), ANY)
        .upstream(Upstream.builder("dead").hosts(List.of(Upstreams.refusing())).build(), ANY)
        .rateLimiter(plainCap)
        .listener(plainEvents)
        .build()
        .start());
    LoadBalancer tls = closer.track(LoadBalancer.builder()
        .upstream(Upstream.builder("echo").hosts(List.of(echoA.host(), echoB.host())).build(), ANY)
        .tls(factory)
        // Generous: under a loaded machine a JDK client can take seconds over its own handshake.
        .handshakeTimeout(Duration.ofSeconds(30))
        .rateLimiter(tlsCap)
        .listener(tlsEvents)
        .build()
        .start());
    Map<Kind, InetSocketAddress> where = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      where.put(k, k.tls() ? tls.boundAddress("echo") : plain.boundAddress(switch (k) {
        case DOWNLOAD -> "source";
        case UPSTREAM_RESET -> "resetting";
        case NO_HOST -> "dead";
        default -> "echo";
      }));
    }
    MalformedTls malformed = new MalformedTls(7);
    List<byte[]> hellos = MalformedTls.realClientHellos();
    Map<Kind, LongAdder> done = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      done.put(k, new LongAdder());
    }

    // One of each first, so what the JDK and Netty open lazily is in the baseline.
    for (Kind k : Kind.values()) {
      churnOne(k, where.get(k), mtls, malformed, hellos, 0, k.tls() ? tlsEvents : plainEvents);
      done.get(k).increment();
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> plain.openConnections() == 0 && tls.openConnections() == 0);
    LEAKS.assertNoLeaks();
    Resources baseline = Resources.now();

    int threads = 8;
    long start = System.nanoTime();
    try (ResourceSampler sampler = ResourceSampler.start(Duration.ofMillis(200));
        Parallel workers = Parallel.threads(threads, "churn")) {
      List<Future<Void>> futures = workers.submitAll(threads, t -> () -> {
        Random random = Seeds.random(1000, t);
        for (int i = t; i < total; i += threads) {
          Kind k = Kind.pick(random);
          churnOne(k, where.get(k), mtls, malformed, hellos, i, k.tls() ? tlsEvents : plainEvents);
          done.get(k).increment();
        }
        return null;
      });
      Parallel.results(futures, Scale.time(Duration.ofMinutes(4)));
      long elapsed = System.nanoTime() - start;

      int connections = total + Kind.values().length;
      long tlsConnections = done.entrySet().stream().filter(e -> e.getKey().tls())
          .mapToLong(e -> e.getValue().sum()).sum();
      long plainConnections = connections - tlsConnections;
      await("every connection closed").atMost(Duration.ofSeconds(60)).until(() ->
          plainEvents.closedCount() == plainConnections && tlsEvents.closedCount() == tlsConnections);
      assertThat(plainEvents.accepted.get()).isEqualTo(plainConnections);
      assertThat(tlsEvents.accepted.get()).isEqualTo(tlsConnections);
      assertThat(plainEvents.refusalReasons())
          .containsExactlyEntriesOf(Map.of(RefusalReason.NO_HOST, done.get(Kind.NO_HOST).sum()));
      assertThat(tlsEvents.refusalReasons()).containsExactlyEntriesOf(Map.of(RefusalReason.TLS_FAILED,
          done.get(Kind.TLS_UNTRUSTED).sum() + done.get(Kind.TLS_MALFORMED).sum()
              + done.get(Kind.TLS_HELLO_THEN_RESET).sum()));
      assertThat(plainEvents.closedWith(e -> e.reason() == CloseReason.UPSTREAM_ERROR))
          .as("connections the resetting host reset").isEqualTo(done.get(Kind.UPSTREAM_RESET).sum());
      for (LoadBalancer lb : List.of(plain, tls)) {
        Quiet.assertNothingHeld(lb, "echo");
      }
      Quiet.assertNothingHeld(plain, "source", "resetting", "dead");
      AtomicReference<Resources> settled = new AtomicReference<>();
      await("open descriptors back to the baseline of " + baseline.descriptors())
          .atMost(Duration.ofSeconds(30))
          .until(() -> {
            settled.set(Resources.now());
            return settled.get().descriptors() <= baseline.descriptors();
          });
      Resources after = settled.get();
      LEAKS.assertNoLeaks();
      // Every slot of the concurrency caps is free again: exactly CAP connections are admitted.
      assertCapIsWhole(
          () -> PlainSockets.open(plain.boundAddress("echo"), READ_TIMEOUT), plainEvents);
      assertCapIsWhole(() -> MutualTls.open(mtls.trusted(), tls.boundAddress("echo"), READ_TIMEOUT),
          tlsEvents);
      Figures.record("connection churn of mixed outcomes",
          "%d connections in %.1f s (%d plain, %d mTLS) by kind %s; lb4j close reasons %s / mTLS %s;"
              + " descriptors %d before, peak %d, %d after; leases 0, open connections 0, 0 leaks;"
              + " peak heap %s, peak Netty direct %s",
          connections, elapsed / 1e9, plainConnections, tlsConnections, sums(done),
          plainEvents.reasons(), tlsEvents.reasons(), baseline.descriptors(),
          sampler.max().descriptors(), after.descriptors(), Figures.mib(sampler.max().heapUsed()),
          Figures.mib(sampler.max().nettyDirect()));
    }
  }

  private static final int CAP = 64;

  private static void assertCapIsWhole(Crowd.Connector connector, Events events) throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < CAP; i++) {
        Socket s = connector.connect();
        held.add(s);
        assertThat(CheckedStreams.echo(s, 1, 1).outcome())
            .as("connection %d of a cap of %d after the churn", i + 1, CAP)
            .isEqualTo(Outcome.COMPLETED);
      }
      int refusalsBefore = events.refusals.size();
      try (Socket over = connector.connect()) {
        assertThat(CheckedStreams.echo(over, 1, 1).outcome()).as("one past the cap")
            .isIn(Outcome.CUT);
      } catch (IOException refusedDuringHandshake) {
        // a TLS 1.3 client may learn of it here
      }
      await().until(() -> events.refusals.size() == refusalsBefore + 1);
      assertThat(List.copyOf(events.refusals).get(refusalsBefore).reason())
          .isEqualTo(RefusalReason.RATE_LIMITED);
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  private static Map<Kind, Long> sums(Map<Kind, LongAdder> adders) {
    Map<Kind, Long> m = new EnumMap<>(Kind.class);
    adders.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** Asserts a served stream completed; if not, says why lb4j ended it (the socket is still open). */
  private static void assertCompleted(StreamResult r, Socket s, Events events) {
    if (r.outcome() == Outcome.COMPLETED) {
      return;
    }
    ConnectionEvent event = null;
    for (int i = 0; i < 100 && event == null; i++) {
      event = events.closeOf(s);
      if (event == null) {
        java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
      }
    }
    throw new AssertionError("a served stream did not complete: " + r + "; lb4j's event for port "
        + s.getLocalPort() + ": " + event
        + (event != null && event.error() != null ? "\n" + stackTrace(event.error()) : ""));
  }

  private static String stackTrace(Throwable t) {
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  private static void churnOne(Kind kind, InetSocketAddress address, MutualTls mtls,
      MalformedTls malformed, List<byte[]> hellos, int i, Events events) throws IOException {
    switch (kind) {
      case ECHO -> {
        try (Socket s = PlainSockets.open(address, READ_TIMEOUT)) {
          assertCompleted(CheckedStreams.echo(s, 100, 100), s, events);
        }
      }
      case DOWNLOAD -> {
        try (Socket s = PlainSockets.open(address, READ_TIMEOUT)) {
          assertCompleted(CheckedStreams.download(s, 4096), s, events);
        }
      }
      case CLIENT_RESET -> {
        Socket s = PlainSockets.open(address, READ_TIMEOUT);
        s.getOutputStream().write(new byte[100]);
        s.setSoLinger(true, 0);
        s.close();
      }
      case UPSTREAM_RESET, NO_HOST -> {
        try (Socket s = PlainSockets.open(address, READ_TIMEOUT)) {
          try {
            s.getOutputStream().write(new byte[100]);
          } catch (IOException closedAlready) {
            // a refused client may be closed before it writes
          }
          PlainSockets.readUntilClosed(s);
        }
      }
      case CLIENT_LEAVES -> {
        Socket s = PlainSockets.open(address, READ_TIMEOUT);
        s.close();
      }
      case TLS_ECHO -> {
        try (SSLSocket s = MutualTls.open(mtls.trusted(), address, READ_TIMEOUT)) {
          assertCompleted(CheckedStreams.echo(s, 1024, 1024), s, events);
        }
      }
      case TLS_UNTRUSTED -> {
        try (SSLSocket s = MutualTls.open(mtls.untrusted(), address, READ_TIMEOUT)) {
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
          assertThat(s.getInputStream().read()).as("an untrusted client is served").isEqualTo(-1);
        } catch (SocketTimeoutException hung) {
          throw hung;
        } catch (IOException refused) {
          // how the JDK client usually learns of it
        }
      }
      case TLS_MALFORMED -> {
        MalformedTls.Case c = malformed.get(i);
        try (Socket s = PlainSockets.open(address, READ_TIMEOUT)) {
          try {
            s.getOutputStream().write(c.bytes());
            s.shutdownOutput();
          } catch (IOException closedEarly) {
            // refused while writing
          }
          PlainSockets.readUntilClosed(s);
        }
      }
      case TLS_HELLO_THEN_RESET -> {
        Socket s = PlainSockets.open(address, READ_TIMEOUT);
        s.getOutputStream().write(hellos.get(i % hellos.size()));
        s.setSoLinger(true, 0);
        s.close();
      }
      default -> throw new AssertionError(kind);
    }
  }
}
