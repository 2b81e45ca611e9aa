package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.ResourceSampler;
import io.lb4j.bench.soak.Resources;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.bench.soak.StreamResult;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.reliability.Crowd.Streamed;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SourceUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts that fail while clients stream through lb4j (plain TCP, where TLS adds nothing to a
 * host's failure): a host that resets, one that accepts and never answers, one killed with
 * connections open, one that comes back; and (with mTLS clients, whose bytes arrive right behind
 * their handshake) a host that never accepts. A client of the failed host sees its connection closed, for the
 * host's failure and not by the idle timeout (unless the host hangs), with every byte it did get
 * intact; clients of the other hosts complete their streams; nothing is held afterwards.
 */
@ExtendWith(NettyLeakDetector.class)
class UpstreamFaultsIT {

  @RegisterExtension static final NettyLeakDetector LEAKS = new NettyLeakDetector();

  private static final int CHUNK = 16 * 1024;
  // Long enough for clients to wait at a crowd's barrier without being idle-closed; the hung-host
  // test sets a short one and uses no barrier.
  private static final Duration IDLE = Duration.ofSeconds(60);
  private static final Duration SHORT_IDLE = Duration.ofSeconds(4);
  // Past the short idle timeout: a client of the hung host that waits this long saw lb4j hang.
  private static final Duration CLIENT_READ_TIMEOUT = Duration.ofSeconds(30);
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

  @RegisterExtension final Closer closer = new Closer();
  private final Events events = new Events();

  private LoadBalancer start(Upstream.Builder upstream) {
    return start(upstream, IDLE);
  }

  private LoadBalancer start(Upstream.Builder upstream, Duration idle) {
    return closer.track(
        LoadBalancer.builder()
            .upstream(upstream.idleTimeout(idle).build(), ANY)
            .listener(events)
            .build()
            .start());
  }

  private static Upstream.Builder upstream(TestUpstream... hosts) {
    return Upstream.builder("api").hosts(List.of(hosts).stream().map(TestUpstream::host).toList());
  }

  private static Crowd.Connector plain(InetSocketAddress address) {
    return () -> {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      s.connect(address, 10_000);
      s.setSoTimeout((int) CLIENT_READ_TIMEOUT.toMillis());
      return s;
    };
  }

  private Host hostOf(Streamed s) {
    return events.hostOf(s.localPort());
  }

  private ConnectionEvent eventOf(Streamed s) {
    await().atMost(Duration.ofSeconds(10)).until(() -> events.closeOf(s.localPort()) != null);
    return events.closeOf(s.localPort());
  }

  @Test
  void hostThatResetsMidStreamCutsOnlyItsOwnClients() throws Exception {
    TestUpstream resetting = closer.track(Upstreams.resetAfter(4 * 1024));
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = start(upstream(resetting, a, b));
    int clients = Scale.of(30, 300);
    long length = 512 * 1024;

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(clients, plain(lb.boundAddress("api")), length, CHUNK)) {
      results = crowd.awaitEstablished().release().results(Scale.time(Duration.ofMinutes(2)));
    }

    List<Streamed> onResetting = results.stream().filter(s -> resetting.host().equals(hostOf(s))).toList();
    List<Streamed> onEcho = results.stream().filter(s -> !resetting.host().equals(hostOf(s))).toList();
    assertThat(onResetting).as("clients sent to the resetting host").isNotEmpty();
    assertThat(onEcho).as("clients sent to the echo hosts").isNotEmpty();
    for (Streamed s : onResetting) {
      assertThat(s.result().outcome()).as("client of the resetting host: %s", s.result()).isEqualTo(Outcome.CUT);
      assertThat(eventOf(s).reason()).as("why lb4j closed it").isEqualTo(CloseReason.UPSTREAM_ERROR);
    }
    for (Streamed s : onEcho) {
      assertThat(s.result().outcome()).as("client of an echo host: %s", s.result()).isEqualTo(Outcome.COMPLETED);
      assertThat(s.result().bytesVerified()).isEqualTo(length);
    }
    Quiet.assertNothingHeld(lb, "api");
    await().until(() -> a.openConnections() == 0 && b.openConnections() == 0 && resetting.openConnections() == 0);
    Figures.record("upstream reset mid-stream", "%d clients, %d cut by the reset, %d completed, %s verified",
        clients, onResetting.size(), onEcho.size(), Figures.mib(onEcho.size() * length));
  }

  @Test
  void hostThatNeverAnswersIsCutAtTheIdleTimeoutWhileOthersComplete() throws Exception {
    TestUpstream hung = closer.track(Upstreams.blackHole());
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = start(upstream(hung, echo), SHORT_IDLE);
    int clients = Scale.of(20, 200);
    long length = 512 * 1024;

    List<Streamed> results;
    // Released from the start: a client waiting at the barrier would be idle and closed too.
    try (Crowd crowd = Crowd.start(clients, plain(lb.boundAddress("api")), length, CHUNK)) {
      results = crowd.release().results(Scale.time(Duration.ofMinutes(2)));
    }

    List<Streamed> onHung = results.stream().filter(s -> hung.host().equals(hostOf(s))).toList();
    assertThat(onHung).as("clients sent to the hung host").isNotEmpty();
    for (Streamed s : results) {
      if (onHung.contains(s)) {
        assertThat(s.result().outcome()).as("client of the hung host: %s", s.result()).isEqualTo(Outcome.CUT);
        assertThat(s.result().bytesVerified()).isZero();
        assertThat(eventOf(s).reason()).isEqualTo(CloseReason.IDLE_TIMEOUT);
      } else {
        assertThat(s.result().outcome()).as("client of the echo host: %s", s.result()).isEqualTo(Outcome.COMPLETED);
      }
    }
    Quiet.assertNothingHeld(lb, "api");
    Figures.record("upstream never answers", "%d clients, %d cut at the %s idle timeout, %d completed",
        clients, onHung.size(), SHORT_IDLE, clients - onHung.size());
  }

  @Test
  void killedHostCutsItsOpenConnectionsWhileOthersComplete() throws Exception {
    EchoUpstream killed = closer.track(Upstreams.echo());
    EchoUpstream survivor = closer.track(Upstreams.echo());
    LoadBalancer lb = start(upstream(killed, survivor));
    int clients = Scale.of(40, 400);
    long length = 1024 * 1024;

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(clients, plain(lb.boundAddress("api")), length, CHUNK)) {
      crowd.awaitEstablished();
      assertThat(killed.openConnections()).as("connections open on the host about to die").isPositive();
      killed.stop();
      results = crowd.release().results(Scale.time(Duration.ofMinutes(2)));
    }

    int cut = 0;
    for (Streamed s : results) {
      if (killed.host().equals(hostOf(s))) {
        cut++;
        assertThat(s.result().outcome()).as("client of the killed host: %s", s.result()).isEqualTo(Outcome.CUT);
        assertThat(s.result().bytesVerified()).as("its first round, intact").isEqualTo(CHUNK);
        assertThat(eventOf(s).reason()).isEqualTo(CloseReason.UPSTREAM_ERROR);
      } else {
        assertThat(s.result().outcome()).as("client of the surviving host: %s", s.result()).isEqualTo(Outcome.COMPLETED);
        assertThat(s.result().bytesVerified()).isEqualTo(length);
      }
    }
    assertThat(cut).isPositive();
    Quiet.assertNothingHeld(lb, "api");
    await().until(() -> survivor.openConnections() == 0);
    Figures.record("upstream killed with open connections", "%d clients streaming, %d cut, %d completed, %s verified",
        clients, cut, clients - cut, Figures.mib((clients - cut) * length + (long) cut * CHUNK));
  }

  @Test
  void bytesSentWhileTheFirstHostNeverAnswersAreHeldBoundedAndArriveIntactAtTheNext(
      @TempDir Path dir) throws Exception {
    // The first host drops every SYN; each client's first connect waits out its timeout, then
    // lb4j tries the echo host. Meanwhile the clients (mTLS, writing right behind their handshake)
    // send as fast as lb4j reads: lb4j holds a bounded amount and writes it, in order, once the
    // second connect is up.
    TestUpstream silent = closer.track(Upstreams.unresponsive());
    EchoUpstream echo = closer.track(Upstreams.echo());
    MutualTls mtls = new MutualTls(dir);
    PemTlsContextFactory factory = closer.track(mtls.factory(TlsEngine.AUTO));
    BalancingStrategy firstListed = (candidates, connection) -> 0;
    LoadBalancer lb = closer.track(LoadBalancer.builder()
        .upstream(upstream(silent, echo)
            .strategy(firstListed)
            .connectTimeout(Duration.ofSeconds(2))
            .connectAttempts(2)
            .passiveDownTime(Duration.ofMinutes(1))
            .idleTimeout(IDLE)
            .build(), ANY)
        .tls(factory)
        .listener(events)
        .build()
        .start());
    InetSocketAddress address = lb.boundAddress("api");
    int clients = Scale.of(40, 400);
    long length = 2 * 1024 * 1024;
    LEAKS.collectLeaks();
    Resources baseline = Resources.now();

    List<StreamResult> results;
    try (ResourceSampler sampler = ResourceSampler.start(Duration.ofMillis(20));
        Parallel threads = Parallel.threads(clients, "early")) {
      CountDownLatch ready = new CountDownLatch(clients);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<StreamResult>> futures = threads.submitAll(clients, i -> () -> {
        try (SSLSocket s = MutualTls.open(mtls.trusted(), address, CLIENT_READ_TIMEOUT)) {
          ready.countDown();
          go.await();
          return CheckedStreams.pipelinedEcho(s, length);
        }
      });
      // Every client has handshaken before the first connect times out, so all of them wait.
      assertThat(ready.await(1, TimeUnit.MINUTES)).isTrue();
      go.countDown();
      results = Parallel.results(futures, Scale.time(Duration.ofMinutes(2)));
      long held = sampler.max().nettyDirect() - baseline.nettyDirect();
      // Per client, while held: the early-data limit (64 KiB) plus the read that crossed it; once
      // forwarding, a write buffer each way. 192 KiB each and 8 MiB for the allocator are
      // generous, and far below the 2 MiB each that holding everything would take.
      assertThat(held).as("peak growth of Netty's direct memory")
          .isLessThan(clients * 192L * 1024 + 8L * 1024 * 1024);
      Figures.record("bytes held while the first host never answers (mTLS)",
          "%d clients each writing %s at once; the first connect timed out after 2 s for them, the"
              + " second host got every byte in order; peak growth of lb4j's direct memory %s",
          clients, Figures.mib(length), Figures.mib(held));
    }
    assertThat(results).allSatisfy(r -> assertThat(r.outcome()).as("%s", r).isEqualTo(Outcome.COMPLETED));
    assertThat(events.refusals).isEmpty();
    assertThat(lb.hostStatus("api")).filteredOn(h -> h.host().equals(silent.host()))
        .singleElement().satisfies(h -> assertThat(h.up()).as("the silent host is marked down").isFalse());
    Quiet.assertNothingHeld(lb, "api");
  }

  @Test
  void clientOfAKilledHostStillReceivesEveryByteLb4jForwardedIntact(@TempDir Path dir)
      throws Exception {
    SourceUpstream source =
        closer.track(Upstreams.source(256L << 20, SourceUpstream.Ending.SHUTDOWN_OUTPUT));
    MutualTls mtls = new MutualTls(dir);
    PemTlsContextFactory factory = closer.track(mtls.factory(TlsEngine.AUTO));
    LoadBalancer lb = closer.track(LoadBalancer.builder()
        .upstream(upstream(source).idleTimeout(IDLE).build(), ANY)
        .tls(factory)
        .listener(events)
        .build()
        .start());
    StreamResult result;
    try (SSLSocket s = MutualTls.open(mtls.trusted(), lb.boundAddress("api"), CLIENT_READ_TIMEOUT)) {
      // The host dies with the stream in full flow, bytes in lb4j and in the kernel.
      result = CheckedStreams.download(s, Long.MAX_VALUE, Long.MAX_VALUE, 1 << 20, source::stop);
    }

    assertThat(result.outcome()).as("%s", result).isEqualTo(Outcome.CUT);
    assertThat(result.bytesVerified()).isGreaterThan(1 << 20);
    await().until(() -> events.closedCount() == 1);
    ConnectionEvent event = events.closed.peek();
    assertThat(event.reason()).isEqualTo(CloseReason.UPSTREAM_ERROR);
    assertThat(result.bytesVerified())
        .as("bytes the client read, intact, against the bytes lb4j forwarded to it")
        .isEqualTo(event.bytesToClient());
    Figures.record("client of a killed host gets what was forwarded (mTLS)",
        "%s read intact in all, the last of it after the host's reset; lb4j reported exactly as"
            + " many forwarded", Figures.mib(result.bytesVerified()));
  }

  @Test
  void hostThatComesBackIsServedAgainAndNoClientIsRefusedMeanwhile() throws Exception {
    EchoUpstream flaky = closer.track(Upstreams.echo());
    EchoUpstream steady = closer.track(Upstreams.echo());
    LoadBalancer lb = start(upstream(flaky, steady)
        .healthCheck(HealthCheck.of(Duration.ofMillis(100), Duration.ofMillis(200), 1, 1)));
    InetSocketAddress address = lb.boundAddress("api");
    flaky.stop();

    int clients = Scale.of(20, 200);
    List<Streamed> whileDown;
    try (Crowd crowd = Crowd.start(clients, plain(address), 64 * 1024, CHUNK)) {
      whileDown = crowd.awaitEstablished().release().results(Scale.time(Duration.ofMinutes(2)));
    }
    assertThat(whileDown).as("clients while one host is down")
        .allSatisfy(s -> assertThat(s.result().outcome()).isEqualTo(Outcome.COMPLETED))
        .allSatisfy(s -> assertThat(hostOf(s)).isEqualTo(steady.host()));

    // Its port is in the ephemeral range: while it was down, a connection (or another process on
    // the machine) may have taken it. The restart waits until the port is free again.
    await("the host listens on its port again").atMost(Duration.ofSeconds(30))
        .ignoreException(java.io.UncheckedIOException.class)
        .until(() -> {
          flaky.restart();
          return true;
        });
    await("the restarted host is back in rotation").atMost(Duration.ofSeconds(10))
        .until(() -> lb.hostStatus("api").stream().allMatch(s -> s.up()));
    List<Streamed> afterwards;
    try (Crowd crowd = Crowd.start(clients, plain(address), 64 * 1024, CHUNK)) {
      afterwards = crowd.awaitEstablished().release().results(Scale.time(Duration.ofMinutes(2)));
    }
    assertThat(afterwards).as("clients once the host is back")
        .allSatisfy(s -> assertThat(s.result().outcome()).isEqualTo(Outcome.COMPLETED));
    long toRestarted = afterwards.stream().filter(s -> flaky.host().equals(hostOf(s))).count();
    assertThat(toRestarted).as("clients the restarted host served").isPositive();
    assertThat(events.refusals).isEmpty();
    Quiet.assertNothingHeld(lb, "api");
    Figures.record("upstream comes back", "%d clients while down, %d after, %d to the restarted host, 0 refused",
        clients, clients, toRestarted);
  }
}
