package io.lb4j.server;

import io.lb4j.api.Host;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.function.Consumer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's second host: it reads the PROXY protocol v2 header that lb4j sends with Netty's
 * {@link HAProxyMessageDecoder}, prints who connected (and sends that to the client), then echoes.
 * {@link #describe} is the example of {@code docs/server.md}.
 */
final class ProxyHeaderPrinter implements AutoCloseable {

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("demo-proxy-host", true),
          NioIoHandler.newFactory());
  private final Channel server;

  /** Starts on a free loopback port; each header is also told to {@code out}, one line each. */
  ProxyHeaderPrinter(Consumer<String> out) {
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new Reply(out));
                  }
                })
            .bind(new InetSocketAddress(Demo.LOOPBACK, 0))
            .syncUninterruptibly()
            .channel();
  }

  Host host() {
    return Host.of(Demo.LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort());
  }

  private static final class Reply extends ChannelInboundHandlerAdapter {
    private final Consumer<String> out;

    Reply(Consumer<String> out) {
      this.out = out;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage header) {
        String who;
        try {
          who = describe(header);
        } finally {
          header.release();
        }
        out.accept("[proxy host] " + who);
        ctx.writeAndFlush(
            Unpooled.copiedBuffer("PROXY header: " + who + "\n", StandardCharsets.UTF_8));
        return;
      }
      ctx.writeAndFlush(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      out.accept("[proxy host] no valid PROXY header: " + cause.getMessage());
      ctx.close();
    }
  }

  // docs:begin describe
  /** One line saying who connected, from a header lb4j sent (PROXY protocol v2). */
  static String describe(HAProxyMessage header) {
    StringBuilder line = new StringBuilder();
    line.append(header.sourceAddress()).append(':').append(header.sourcePort());
    for (HAProxyTLV tlv : header.tlvs()) {
      int type = tlv.typeByteValue() & 0xFF;
      ByteBuf value = tlv.content();
      switch (type) {
        case 0x02 -> line.append(" sni=").append(text(value));
        case 0x05 -> line.append(" connection=").append(text(value));
        case 0x20 -> {
          HAProxySSLTLV ssl = (HAProxySSLTLV) tlv;
          line.append(" verified=").append(ssl.verify() == 0);
        }
        case 0x21 -> line.append(" tls=").append(text(value));
        case 0x22 -> line.append(" cn=").append(text(value));
        case 0xE0 -> line.append(" uris=").append(entries(value));
        case 0xE2 -> line.append(" groups=").append(entries(value));
        case 0xE3 -> line.append(" sha256=").append(HexFormat.of().formatHex(bytes(value)));
        case 0xE4 -> line.append(" upstream=").append(text(value));
        default -> { } // the others: see the table above
      }
    }
    return line.toString();
  }

  /** lb4j's lists: entries of a two-byte big-endian length and that many bytes of UTF-8. */
  static List<String> entries(ByteBuf value) {
    ByteBuf b = value.duplicate();
    List<String> entries = new ArrayList<>();
    while (b.isReadable()) {
      int length = b.readUnsignedShort();
      entries.add(b.readCharSequence(length, StandardCharsets.UTF_8).toString());
    }
    return entries;
  }

  private static String text(ByteBuf value) {
    return value.toString(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuf value) {
    byte[] b = new byte[value.readableBytes()];
    value.getBytes(value.readerIndex(), b);
    return b;
  }
  // docs:end describe

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
