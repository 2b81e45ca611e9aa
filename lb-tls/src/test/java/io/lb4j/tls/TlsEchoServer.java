package io.lb4j.tls;

import static org.awaitility.Awaitility.await;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.TlsContextFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * A test-only TLS echo server on a loopback port: each accepted connection gets
 * {@code new SslHandler(factory.newEngine())} exactly as the forwarder would, and the outcome of
 * each handshake is recorded for the test to read.
 */
final class TlsEchoServer implements AutoCloseable {

  /** What one connection's handshake came to, on the server's side. */
  sealed interface Handshake permits Succeeded, Failed {}

  /** A completed handshake and the identity the factory read from it. */
  record Succeeded(
      ClientIdentity identity, String protocol, String cipherSuite, SSLEngine engine)
      implements Handshake {}

  /** A failed handshake and why. */
  record Failed(Throwable cause) implements Handshake {
    /** The cause and its causes' messages, for assertions on why a client was refused. */
    String reasons() {
      StringBuilder out = new StringBuilder();
      for (Throwable t = cause; t != null; t = t.getCause()) {
        out.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" | ");
        if (t.getCause() == t) {
          break;
        }
      }
      return out.toString();
    }
  }

  private final EventLoopGroup group;
  private final Channel listener;
  private final ConcurrentLinkedQueue<Handshake> handshakes = new ConcurrentLinkedQueue<>();

  private TlsEchoServer(TlsContextFactory factory) {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    listener = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            SslHandler tls = new SslHandler(factory.newEngine());
            channel.pipeline().addLast(tls, new Recorder(factory, tls));
          }
        })
        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .syncUninterruptibly()
        .channel();
  }

  static TlsEchoServer start(TlsContextFactory factory) {
    return new TlsEchoServer(factory);
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Waits for the next connection's handshake outcome. */
  Handshake nextHandshake() {
    return await().atMost(Duration.ofSeconds(20)).until(handshakes::poll, h -> h != null);
  }

  Succeeded nextSuccess() {
    Handshake handshake = nextHandshake();
    if (handshake instanceof Failed failed) {
      throw new AssertionError("expected a completed handshake but it failed: " + failed.reasons(),
          failed.cause());
    }
    return (Succeeded) handshake;
  }

  Failed nextFailure() {
    Handshake handshake = nextHandshake();
    if (handshake instanceof Succeeded succeeded) {
      throw new AssertionError("expected a failed handshake but it completed with "
          + succeeded.protocol() + " " + succeeded.cipherSuite() + " for "
          + succeeded.identity().displayName());
    }
    return (Failed) handshake;
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Recorder extends ChannelInboundHandlerAdapter {
    private final TlsContextFactory factory;
    private final SslHandler tls;

    Recorder(TlsContextFactory factory, SslHandler tls) {
      this.factory = factory;
      this.tls = tls;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof SslHandshakeCompletionEvent done) {
        if (done.isSuccess()) {
          SSLSession session = tls.engine().getSession();
          try {
            handshakes.add(new Succeeded(factory.identify(session), session.getProtocol(),
                session.getCipherSuite(), tls.engine()));
          } catch (Exception e) {
            handshakes.add(new Failed(e));
            ctx.close();
          }
        } else {
          handshakes.add(new Failed(done.cause()));
        }
      }
      super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      ctx.writeAndFlush(message);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
