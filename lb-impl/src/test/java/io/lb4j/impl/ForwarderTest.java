package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.testkit.data.TestData;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A connection the caller accepted is forwarded like a listener's own. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class ForwarderTest {

  @Test
  void forwardsConnectionTheCallerAccepted() throws Exception {
    try (EchoUpstream echo = Upstreams.echo();
        Forwarder forwarder = Forwarder.builder(Fixtures.upstream("echo", echo).build()).build();
        ServerSocketChannel server =
            ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();
      try (Socket client = Clients.connect(address)) {
        SocketChannel accepted = server.accept();
        ForwardedConnection connection = forwarder.forward(accepted);
        long length = 8L << 20;
        assertThat(Clients.echoRoundTrip(client, length)).isEqualTo(TestData.checksumOf(length));
        client.close();
        ConnectionEvent event = connection.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(event.bytesFromClient()).isEqualTo(length);
        assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_CLOSED);
        assertThat(event.connection().id()).isEqualTo(connection.id());
      }
    }
  }

  @Test
  void closingTheHandleEndsTheConnection() throws Exception {
    try (EchoUpstream echo = Upstreams.echo();
        Forwarder forwarder = Forwarder.builder(Fixtures.upstream("echo", echo).build()).build();
        ServerSocketChannel server =
            ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      try (Socket client = Clients.connect((InetSocketAddress) server.getLocalAddress())) {
        ForwardedConnection connection = forwarder.forward(server.accept());
        client.getOutputStream().write(5);
        assertThat(client.getInputStream().read()).isEqualTo(5);
        connection.close();
        assertThat(client.getInputStream().read()).isEqualTo(-1);
        assertThat(connection.closed().toCompletableFuture().get(10, TimeUnit.SECONDS).reason())
            .isEqualTo(CloseReason.SHUTDOWN);
      }
    }
  }

  @Test
  void closedForwarderRefusesNewConnections() throws Exception {
    try (EchoUpstream echo = Upstreams.echo();
        ServerSocketChannel server =
            ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      Forwarder forwarder = Forwarder.builder(Fixtures.upstream("echo", echo).build()).build();
      forwarder.close();
      try (Socket client = Clients.connect((InetSocketAddress) server.getLocalAddress())) {
        SocketChannel accepted = server.accept();
        assertThatThrownBy(() -> forwarder.forward(accepted))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("forwarder is closed");
        assertThat(accepted.isOpen()).isFalse();
      }
    }
  }
}
