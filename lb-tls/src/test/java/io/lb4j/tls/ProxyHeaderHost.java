package io.lb4j.tls;

import io.lb4j.api.Host;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A host that reads a PROXY protocol header with Netty's own {@link HAProxyMessageDecoder} (which
 * fails on any byte that is not a header, so a client byte ahead of the header is caught), records
 * it as plain values, and echoes every byte after it.
 */
public final class ProxyHeaderHost implements AutoCloseable {

  /** One TLV as received; {@code sub} holds an SSL TLV's sub-TLVs. */
  public record Tlv(int type, byte[] value, int client, int verify, List<Tlv> sub) {}

  /** A header as received, with what came after it on the same connection. */
  public record Received(
      String version,
      String command,
      String protocol,
      String source,
      int sourcePort,
      String destination,
      int destinationPort,
      List<Tlv> tlvs,
      ByteArrayOutputStream after) {

    /** Returns the first TLV of {@code type}, or null. */
    public Tlv tlv(int type) {
      return tlvs.stream().filter(t -> t.type() == type).findFirst().orElse(null);
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();

  /** Starts on a free port of {@code loopback} ({@code 127.0.0.1} or {@code ::1}). */
  public ProxyHeaderHost(String loopback) {
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new Recorder());
                  }
                })
            .bind(new InetSocketAddress(loopback, 0))
            .syncUninterruptibly()
            .channel();
  }

  /** Returns the host to configure in an upstream. */
  public Host host() {
    InetSocketAddress a = (InetSocketAddress) server.localAddress();
    return Host.of(a.getAddress().getHostAddress(), a.getPort());
  }

  /** Waits for the next connection's header. */
  public Received next(Duration timeout) throws InterruptedException {
    Received r = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      Throwable f = failures.peek();
      throw new AssertionError("no PROXY header received in " + timeout, f);
    }
    return r;
  }

  /** Returns the decoding failures so far. */
  public List<Throwable> failures() {
    return List.copyOf(failures);
  }

  private final class Recorder extends ChannelInboundHandlerAdapter {
    private Received current;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage m) {
        try {
          current = record(m);
          received.add(current);
        } finally {
          m.release();
        }
        return;
      }
      ByteBuf buf = (ByteBuf) msg;
      if (current != null) {
        synchronized (current.after()) {
          current.after().writeBytes(ByteBufUtil.getBytes(buf));
        }
      }
      ctx.writeAndFlush(buf);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failures.add(cause);
      ctx.close();
    }
  }

  private static Received record(HAProxyMessage m) {
    return new Received(
        m.protocolVersion().name(),
        m.command().name(),
        m.proxiedProtocol().name(),
        m.sourceAddress(),
        m.sourcePort(),
        m.destinationAddress(),
        m.destinationPort(),
        tlvs(m.tlvs()),
        new ByteArrayOutputStream());
  }

  private static List<Tlv> tlvs(List<HAProxyTLV> in) {
    List<Tlv> out = new ArrayList<>();
    for (HAProxyTLV t : in) {
      if (t instanceof HAProxySSLTLV ssl) {
        out.add(
            new Tlv(
                t.typeByteValue() & 0xFF, null, ssl.client() & 0xFF, ssl.verify(),
                tlvs(ssl.encapsulatedTLVs())));
      } else {
        out.add(new Tlv(t.typeByteValue() & 0xFF, ByteBufUtil.getBytes(t.content()), 0, 0, List.of()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
