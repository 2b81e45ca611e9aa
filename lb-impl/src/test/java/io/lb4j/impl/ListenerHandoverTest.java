package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lb4j.impl.transport.ListenerGroup;
import io.lb4j.impl.transport.Transport;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two load balancers on one address, as an old and a new process during an upgrade: the second
 * binds beside the first, takes the new connections, and the first closes without resetting any.
 */
@Timeout(120)
class ListenerHandoverTest {

  private static final Duration LONG_DRAIN = Duration.ofHours(1);
  /** Bounds of the load loop, in connections per client thread. */
  private static final int MAX_CONNECTIONS_PER_THREAD = 5_000;
  private static final int LOAD_THREADS = 4;

  @RegisterExtension final Closer closer = new Closer();
  private EchoUpstream echo;
  private InetSocketAddress address;

  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(Transport.best() == Transport.EPOLL, "SO_REUSEPORT needs the epoll transport");
    echo = closer.track(Upstreams.echo());
    address = new InetSocketAddress("127.0.0.1", freePort());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private LoadBalancer.Builder builder() {
    return LoadBalancer.builder()
        .upstream(Fixtures.upstream("echo", echo).build(), address)
        .drainTimeout(LONG_DRAIN);
  }

  private static void roundTrip(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes());
    byte[] back = s.getInputStream().readNBytes(text.length());
    assertThat(new String(back)).isEqualTo(text);
  }

  @Test
  void secondLoadBalancerBindsTheSameAddressAndTakesEveryNewConnection() throws Exception {
    LoadBalancer old = closer.track(builder().build().start());
    LoadBalancer next = closer.track(builder().build().start());
    assertThat(ListenerGroup.listeners(address)).isEqualTo(2);

    List<Socket> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        Socket s = closer.track(Clients.connect(address));
        roundTrip(s, "hello " + i);
        clients.add(s);
      }
      assertThat(next.openConnections()).isEqualTo(20);
      assertThat(old.openConnections()).isZero();
    } finally {
      for (Socket s : clients) {
        s.close();
      }
    }
  }

  @Test
  void oldLoadBalancerClosesUnderLoadWithoutResettingAnyoneAndDrainsItsOwnConnections()
      throws Exception {
    LoadBalancer old = closer.track(builder().build().start());
    Socket longLived = closer.track(Clients.connect(address));
    roundTrip(longLived, "before the upgrade");
    LoadBalancer next = closer.track(builder().build().start());

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger served = new AtomicInteger();
    ConcurrentLinkedQueue<Exception> failures = new ConcurrentLinkedQueue<>();
    ExecutorService load = Executors.newFixedThreadPool(LOAD_THREADS);
    try {
      for (int t = 0; t < LOAD_THREADS; t++) {
        load.execute(() -> {
          for (int i = 0; i < MAX_CONNECTIONS_PER_THREAD && !stop.get(); i++) {
            try (Socket s = Clients.connect(address)) {
              roundTrip(s, "x");
              served.incrementAndGet();
            } catch (Exception | AssertionError e) {
              failures.add(e instanceof Exception ex ? ex : new IOException(e));
            }
          }
        });
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> served.get() >= 200 || !failures.isEmpty());

      CompletableFuture<Void> closing = CompletableFuture.runAsync(old::close);
      await().atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThatThrownBy(() -> old.boundAddress("echo"))
              .isInstanceOf(IllegalStateException.class));
      int atClose = served.get();
      await().atMost(Duration.ofSeconds(60))
          .until(() -> served.get() >= atClose + 200 || !failures.isEmpty());
      stop.set(true);
    } finally {
      stop.set(true);
      load.shutdown();
      assertThat(load.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
    assertThat(failures).as("connections refused or reset while the old one closed").isEmpty();
    // The old listener empties its accept queue before its socket closes (up to 2 s), after it
    // stopped answering boundAddress: wait for the socket, do not assume it is gone already.
    await().atMost(Duration.ofSeconds(10)).until(() -> ListenerGroup.listeners(address) == 1);

    // The old one drains: its long-lived connection still works, and its close ends with it.
    roundTrip(longLived, "during the drain");
    assertThat(old.openConnections()).isEqualTo(1);
    longLived.close();
    await().atMost(Duration.ofSeconds(30)).until(() -> old.openConnections() == 0);
    old.close();
    try (Socket s = Clients.connect(address)) {
      roundTrip(s, "after the upgrade");
    }
    assertThat(next.openConnections()).isLessThanOrEqualTo(1);
  }

  @Test
  void sharesListenersTellsWhetherAnotherSocketListensOnTheAddressBeforeAndAfterStart() {
    LoadBalancer old = closer.track(builder().build());
    assertThat(old.sharesListeners()).isFalse();
    old.start();
    assertThat(old.sharesListeners()).isFalse();

    LoadBalancer next = closer.track(builder().build());
    assertThat(next.sharesListeners()).isTrue();
    next.start();
    assertThat(old.sharesListeners()).isTrue();
    assertThat(next.sharesListeners()).isTrue();

    old.close();
    assertThat(next.sharesListeners()).isFalse();
    assertThat(old.sharesListeners()).isFalse();
  }

  @Test
  void portHeldWithoutReusePortStillFailsWithAddressInUse() throws Exception {
    try (ServerSocket foreign = new ServerSocket()) {
      foreign.bind(address);
      LoadBalancer lb = closer.track(builder().build());
      assertThatThrownBy(lb::start)
          .isInstanceOf(ListenerBindException.class)
          .hasMessageContaining("cannot listen on 127.0.0.1:" + address.getPort())
          .hasMessageContaining("Address already in use");
    }
  }

  @Test
  void reusePortOffRefusesToShareTheAddress() {
    closer.track(builder().build().start());
    LoadBalancer second = closer.track(builder().reusePort(false).build());
    assertThatThrownBy(second::start)
        .isInstanceOf(ListenerBindException.class)
        .hasMessageContaining("Address already in use");
  }

  @Test
  void listenersCountsTheKernelsListeningSocketsOnAnAddress() throws Exception {
    assertThat(ListenerGroup.listeners(address)).isZero();
    try (ServerSocket one = new ServerSocket()) {
      one.bind(address);
      assertThat(ListenerGroup.listeners(address)).isEqualTo(1);
      assertThat(ListenerGroup.listeners(new InetSocketAddress("127.0.0.2", address.getPort())))
          .isZero();
    }
  }
}
