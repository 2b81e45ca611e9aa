package io.lb4j.impl.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.Host;
import io.lb4j.impl.transport.Transport;
import io.lb4j.testkit.netty.EventLoopBlockingGuard;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;

/**
 * Connecting through the resolver never blocks an event loop (BlockHound watches every test, and
 * lb4j's integration counts the JDK's name lookup as blocking), and IP literals never reach DNS.
 */
class HostResolverTest {

  private final Transport transport = Transport.best();
  private final EventLoopGroup group =
      transport.newGroup(1, new DefaultThreadFactory("resolver-test", true));
  private final ServerSocket listening = listen();
  private HostResolver resolver;

  private static ServerSocket listen() {
    try {
      return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void tearDown() throws IOException {
    if (resolver != null) {
      resolver.close();
    }
    listening.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private Bootstrap bootstrap() {
    return new Bootstrap()
        .group(group)
        .channel(transport.socketChannel())
        .handler(new ChannelInboundHandlerAdapter());
  }

  /** A resolver whose only name server answers nothing: any query it makes fails. */
  private static HostResolver withDeadNameServer(Transport transport) throws IOException {
    int silentPort;
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      silentPort = s.getLocalPort();
    }
    return HostResolver.using(
        transport,
        Duration.ofMillis(200),
        List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), silentPort)));
  }

  @Test
  void ipLiteralConnectsWithoutAskingDns() throws Exception {
    resolver = withDeadNameServer(transport);

    ChannelFuture connected =
        resolver.connect(bootstrap(), Host.of("127.0.0.1", listening.getLocalPort()));

    assertThat(connected.awaitUninterruptibly(5, TimeUnit.SECONDS)).isTrue();
    assertThat(connected.cause()).isNull();
    connected.channel().close().syncUninterruptibly();
  }

  @Test
  void nameThatCannotBeLookedUpFailsWithOneLineThatNamesIt() throws Exception {
    resolver = withDeadNameServer(transport);
    String name = "nowhere-" + UUID.randomUUID() + ".lb4j.test";

    ChannelFuture connected = resolver.connect(bootstrap(), Host.of(name, 7));

    assertThat(connected.awaitUninterruptibly(10, TimeUnit.SECONDS)).isTrue();
    assertThat(connected.cause())
        .isInstanceOf(UnknownHostException.class)
        .hasNoCause()
        .hasMessage("unknown host " + name + ": no answer from a name server within 200 ms");
  }

  @Test
  void nameInTheHostsFileIsResolvedOnTheEventLoopWithoutBlocking() {
    resolver = HostResolver.system(transport, Duration.ofSeconds(2));

    ChannelFuture connected =
        resolver.connect(bootstrap(), Host.of("localhost", listening.getLocalPort()));

    assertThat(connected.awaitUninterruptibly(5, TimeUnit.SECONDS)).isTrue();
    assertThat(connected.cause()).isNull();
    assertThat(((InetSocketAddress) connected.channel().remoteAddress()).getAddress().isLoopbackAddress())
        .isTrue();
    connected.channel().close().syncUninterruptibly();
  }

  @Test
  void jdkLookupOnAnEventLoopIsCaughtAsBlocking() {
    // What lb4j did before: new InetSocketAddress(name, port) on the event loop.
    String name = "nowhere-" + UUID.randomUUID() + ".invalid";

    Future<InetSocketAddress> looked =
        group.next().submit(() -> new InetSocketAddress(name, 7)).awaitUninterruptibly();

    assertThat(looked.cause())
        .isInstanceOf(BlockingOperationError.class)
        .hasMessageContaining("lookupAllHostAddr");
    assertThat(EventLoopBlockingGuard.takeReports())
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("lookupAllHostAddr", "resolver-test");
  }
}
