package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SourceUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.File;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connections end once, release everything, and respect the idle and drain timeouts. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class ConnectionLifecycleTest {

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  @Test
  void tenThousandShortConnectionsOfEveryEndingLeaveNothingBehind() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    SourceUpstream source = closer.track(Upstreams.source(1024, SourceUpstream.Ending.CLOSE));
    LoadBalancer lb =
        closer.track(
            LoadBalancer.builder()
                .upstream(Fixtures.upstream("echo", echo).build(), Fixtures.ANY_PORT)
                .upstream(Fixtures.upstream("source", source).build(), Fixtures.ANY_PORT)
                .listener(events)
                .build()
                .start());
    InetSocketAddress echoAddress = lb.boundAddress("echo");
    InetSocketAddress sourceAddress = lb.boundAddress("source");
    long descriptorsBefore = openDescriptors();

    int total = 10_000;
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<CompletableFuture<Void>> work = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int offset = t;
      work.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = offset; i < total; i += threads) {
                  try {
                    switch (i % 3) {
                      case 0 -> clientClosesAfterEcho(echoAddress);
                      case 1 -> upstreamClosesAfterSending(sourceAddress);
                      default -> clientResets(echoAddress);
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException("connection " + i + " failed", e);
                  }
                }
              },
              pool));
    }
    try {
      CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).get();
    } finally {
      pool.shutdownNow();
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> events.closed.size() == total);
    assertThat(events.accepted.get()).isEqualTo(total);
    assertThat(lb.openConnections()).isZero();
    assertThat(lb.hostStatus("echo")).extracting(HostStatus::activeConnections).containsOnly(0);
    assertThat(lb.hostStatus("source")).extracting(HostStatus::activeConnections).containsOnly(0);
    Map<CloseReason, Long> reasons =
        events.closedEvents().stream()
            .collect(Collectors.groupingBy(ConnectionEvent::reason, Collectors.counting()));
    assertThat(reasons.keySet()).doesNotContain(CloseReason.REFUSED);
    await().atMost(Duration.ofSeconds(10)).until(() -> openDescriptors() <= descriptorsBefore + 8);
  }

  private static void clientClosesAfterEcho(InetSocketAddress address) throws Exception {
    try (Socket s = Clients.connect(address)) {
      s.getOutputStream().write(new byte[100]);
      Clients.receive(s.getInputStream(), 100);
    }
  }

  private static void upstreamClosesAfterSending(InetSocketAddress address) throws Exception {
    try (Socket s = Clients.connect(address)) {
      assertThat(Clients.drain(s.getInputStream())).isEqualTo(1024);
    }
  }

  private static void clientResets(InetSocketAddress address) throws Exception {
    Socket s = Clients.connect(address);
    s.getOutputStream().write(new byte[100]);
    s.setSoLinger(true, 0);
    s.close();
  }

  private static long openDescriptors() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? 0 : fds.length;
  }

  @Test
  void everyConnectionReportsOneCloseEventWithItsBytesAndHost() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", echo).build(), events));
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      s.getOutputStream().write(new byte[1234]);
      Clients.receive(s.getInputStream(), 1234);
    }
    await().until(() -> events.closed.size() == 1);
    ConnectionEvent event = events.closed.peek();
    assertThat(event.bytesFromClient()).isEqualTo(1234);
    assertThat(event.bytesToClient()).isEqualTo(1234);
    assertThat(event.host()).isEqualTo(echo.host());
    assertThat(event.connection().upstream()).isEqualTo("echo");
    assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_CLOSED);
    assertThat(events.connected).containsExactly(echo.host());
  }

  @Test
  void idleConnectionIsClosedAtIdleTimeout() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    Upstream upstream = Fixtures.upstream("echo", echo).idleTimeout(Duration.ofMillis(300)).build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      s.getOutputStream().write(1);
      InputStream in = s.getInputStream();
      assertThat(in.read()).isEqualTo(1);
      s.setSoTimeout(10_000);
      assertThat(in.read()).as("closed by lb4j while idle").isEqualTo(-1);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.closed.peek().reason()).isEqualTo(CloseReason.IDLE_TIMEOUT);
  }

  @Test
  void closeLetsOpenConnectionFinishWithinDrainTimeout() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb =
        LoadBalancer.builder()
            .upstream(Fixtures.upstream("echo", echo).build(), Fixtures.ANY_PORT)
            .listener(events)
            .drainTimeout(Duration.ofSeconds(30))
            .build()
            .start();
    InetSocketAddress address = lb.boundAddress("echo");
    int clientPort;
    try (Socket s = Clients.connect(address)) {
      clientPort = s.getLocalPort();
      // Established first: a connection still in the accept queue when the listener closes is
      // reset by the kernel, which is not what this test is about.
      s.getOutputStream().write(new byte[10]);
      Clients.receive(s.getInputStream(), 10);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(lb::close);
      await().untilAsserted(() -> assertThatThrownBy(() -> Clients.connect(address).close()));
      for (int i = 0; i < 5; i++) {
        s.getOutputStream().write(new byte[10]);
        Clients.receive(s.getInputStream(), 10);
      }
      assertThat(closing).isNotDone();
      s.shutdownOutput();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      closing.get();
    }
    // A probe that connected before the listener closed is a connection of its own: judge this one.
    assertThat(events.closed)
        .filteredOn(e -> e.connection().clientAddress().getPort() == clientPort)
        .extracting(ConnectionEvent::reason)
        .containsExactly(CloseReason.CLIENT_CLOSED);
  }

  @Test
  void closeEndsConnectionsStillOpenAfterDrainTimeout() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb =
        LoadBalancer.builder()
            .upstream(Fixtures.upstream("echo", echo).build(), Fixtures.ANY_PORT)
            .listener(events)
            .drainTimeout(Duration.ofMillis(200))
            .build()
            .start();
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      s.getOutputStream().write(1);
      assertThat(s.getInputStream().read()).isEqualTo(1);
      lb.close();
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(events.closed).extracting(ConnectionEvent::reason).containsExactly(CloseReason.SHUTDOWN);
    assertThat(echo.openConnections()).isZero();
  }

  @Test
  void startFailsWithClearMessageWhenPortIsTaken() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer first =
        closer.track(Fixtures.start(Fixtures.upstream("echo", echo).build(), events));
    InetSocketAddress taken = first.boundAddress("echo");
    LoadBalancer second =
        LoadBalancer.builder().upstream(Fixtures.upstream("echo", echo).build(), taken).build();
    assertThatThrownBy(second::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getPort());
  }

  @Test
  void hostStatusNamesEveryHost() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a, b).build(), events));
    Map<io.lb4j.api.Host, HostStatus> status =
        lb.hostStatus("echo").stream().collect(Collectors.toMap(HostStatus::host, Function.identity()));
    assertThat(status).containsOnlyKeys(a.host(), b.host());
    assertThat(status.values()).allMatch(HostStatus::up);
  }
}
