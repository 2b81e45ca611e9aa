package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;
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

    assertThat(firstEvent.connection().clientAddress().getPort()).isEqualTo(toFirst.getLocalPort());
    assertThat(secondEvent.connection().clientAddress().getPort()).isEqualTo(toSecond.getLocalPort());
    assertThat(events.closedEvents()).containsExactlyInAnyOrder(firstEvent, secondEvent);
  }
}
