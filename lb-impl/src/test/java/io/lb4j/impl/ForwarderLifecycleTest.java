package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.TlsContextFactory;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every connection handed to a forwarder ends with one event, whatever races its hand-over. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class ForwarderLifecycleTest {

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  private Upstream echo() {
    EchoUpstream echo = closer.track(Upstreams.echo());
    return Fixtures.upstream("echo", echo).build();
  }

  private ServerSocketChannel server() throws Exception {
    return closer.track(ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  private Socket connect(ServerSocketChannel server) throws Exception {
    return closer.track(Clients.connect((InetSocketAddress) server.getLocalAddress()));
  }

  private static ConnectionEvent eventOf(ForwardedConnection connection) throws Exception {
    return connection.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void forwardersBuiltFromOneBuilderKeepTheirConnectionsApart() throws Exception {
    Forwarder.Builder builder = Forwarder.builder(echo()).listener(events);
    Forwarder first = closer.track(builder.build());
    Forwarder second = closer.track(builder.build());
    ServerSocketChannel server = server();
    Socket toFirst = connect(server);
    ForwardedConnection viaFirst = first.forward(server.accept());
    Socket toSecond = connect(server);
    ForwardedConnection viaSecond = second.forward(server.accept());

    toSecond.close();
    ConnectionEvent secondEvent = eventOf(viaSecond);
    assertThat(viaFirst.closed().toCompletableFuture()).isNotDone();
    toFirst.close();
    ConnectionEvent firstEvent = eventOf(viaFirst);

    assertThat(firstEvent.connection().clientAddress().getPort())
        .isEqualTo(toFirst.getLocalPort());
    assertThat(secondEvent.connection().clientAddress().getPort())
        .isEqualTo(toSecond.getLocalPort());
    assertThat(events.closedEvents()).containsExactlyInAnyOrder(firstEvent, secondEvent);
  }

  @Test
  void channelThatNoEventLoopCanRegisterEndsWithItsCause() throws Exception {
    Forwarder forwarder = closer.track(Forwarder.builder(echo()).listener(events).build());
    ServerSocketChannel server = server();
    Socket client = connect(server);

    ForwardedConnection connection = forwarder.forward(new ForeignSocketChannel(server.accept()));

    ConnectionEvent event = eventOf(connection);
    assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_ERROR);
    assertThat(event.error())
        .hasMessageContaining("could not be registered")
        .hasRootCauseInstanceOf(IllegalSelectorException.class);
    assertThat(event.connection().id()).isEqualTo(connection.id());
    assertThat(events.closedEvents()).containsExactly(event);
    assertThat(events.accepted).hasValue(1);
    assertThat(forwarder.pendingHandles()).isZero();
    assertThat(client.getInputStream().read()).isEqualTo(-1);
  }

  @Test
  void channelThatIsNotConnectedIsRefusedAtOnce() throws Exception {
    Forwarder forwarder = closer.track(Forwarder.builder(echo()).listener(events).build());
    SocketChannel unconnected = closer.track(SocketChannel.open());

    assertThatThrownBy(() -> forwarder.forward(unconnected))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("accepted channel is not connected");
    assertThat(unconnected.isOpen()).isFalse();
    assertThat(forwarder.pendingHandles()).isZero();
  }

  @Test
  void forwardThatLosesTheRaceWithCloseIsRefusedAsShuttingDown() throws Exception {
    // The engine is made between forward's check of closed and the registration: closing the
    // forwarder there is the interleaving where the event loop is gone before the channel arrives.
    AtomicReference<Forwarder> forwarderRef = new AtomicReference<>();
    TlsContextFactory closesTheForwarderFirst =
        () -> {
          forwarderRef.get().close();
          return serverEngine();
        };
    Forwarder forwarder =
        closer.track(
            Forwarder.builder(echo()).tls(closesTheForwarderFirst).listener(events).build());
    forwarderRef.set(forwarder);
    ServerSocketChannel server = server();
    Socket client = connect(server);

    ForwardedConnection connection = forwarder.forward(server.accept());

    ConnectionEvent event = eventOf(connection);
    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.SHUTTING_DOWN);
    assertThat(events.refusals)
        .extracting(Refuse::reason)
        .containsExactly(RefusalReason.SHUTTING_DOWN);
    assertThat(events.closedEvents()).containsExactly(event);
    assertThat(forwarder.pendingHandles()).isZero();
    assertThat(client.getInputStream().read()).isEqualTo(-1);
  }

  @Test
  void handleClosedAfterTheForwarderClosedDoesNotThrow() throws Exception {
    Forwarder forwarder =
        closer.track(
            Forwarder.builder(echo()).drainTimeout(Duration.ZERO).listener(events).build());
    ServerSocketChannel server = server();
    connect(server);
    ForwardedConnection connection = forwarder.forward(server.accept());
    await().until(() -> events.connected.size() == 1);
    forwarder.close();

    connection.close();

    assertThat(eventOf(connection).reason()).isEqualTo(CloseReason.SHUTDOWN);
  }

  @Test
  void everyForwardRacingCloseEitherThrowsOrEndsWithOneEvent() throws Exception {
    Forwarder forwarder =
        closer.track(
            Forwarder.builder(echo()).drainTimeout(Duration.ZERO).listener(events).build());
    ServerSocketChannel server = server();
    int count = 40;
    List<SocketChannel> accepted = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      connect(server);
      accepted.add(closer.track(server.accept()));
    }
    ExecutorService threads = Executors.newFixedThreadPool(2);
    List<Future<ForwardedConnection>> outcomes = new ArrayList<>();
    CountDownLatch started = new CountDownLatch(1);
    try {
      for (SocketChannel channel : accepted) {
        outcomes.add(
            threads.submit(
                () -> {
                  started.countDown();
                  return forwarder.forward(channel);
                }));
      }
      started.await();
      forwarder.close();
      List<ForwardedConnection> handles = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        try {
          handles.add(outcomes.get(i).get(10, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
          assertThat(accepted.get(i).isOpen()).isFalse();
        }
      }
      CompletableFuture.allOf(
              handles.stream()
                  .map(h -> h.closed().toCompletableFuture())
                  .toArray(CompletableFuture[]::new))
          .get(10, TimeUnit.SECONDS);
      assertThat(events.closedEvents()).hasSize(handles.size());
      assertThat(events.refusals)
          .extracting(Refuse::reason)
          .allMatch(RefusalReason.SHUTTING_DOWN::equals);
      assertThat(forwarder.pendingHandles()).isZero();
    } finally {
      threads.shutdownNow();
    }
  }

  private static SSLEngine serverEngine() {
    try {
      SSLEngine engine = SSLContext.getDefault().createSSLEngine();
      engine.setUseClientMode(false);
      return engine;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
