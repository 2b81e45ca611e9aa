package io.lb4j.bench.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Loopback hosts for the comparison: Netty epoll servers that echo by default, and become a sink
 * or a source when a connection opens with a {@link HostGreeting}. They are written to stay out of
 * the way of the proxy being measured: no copies (echoed buffers are written as read; the source
 * writes slices of one shared buffer), one flush per read batch, back-pressure by writability.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.BenchHosts --ports 18401,18402,18403
 * }</pre>
 *
 * <p>Prints one line {@code bench hosts ready on ...} once every port listens, then serves until
 * the process is stopped. Port 0 asks for a free port; the line tells which.
 */
public final class BenchHosts {

  private static final int SOURCE_CHUNK = 64 * 1024;
  // Larger than Netty's 32/64 KiB default so a host wakes less often per megabyte.
  private static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

  private BenchHosts() {}

  /** Reads past the PROXY header: a real host would use it, the bench only pays for reading it. */
  private static final ChannelInboundHandlerAdapter DROP_HEADER = new DropHeader();

  @io.netty.channel.ChannelHandler.Sharable
  private static final class DropHeader extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage header) {
        header.release();
      } else {
        ctx.fireChannelRead(msg);
      }
    }
  }

  /**
   * Starts the hosts and blocks until the process ends.
   *
   * @param argv {@code --ports p1,p2,... [--threads n] [--bind 127.0.0.1] [--accept-proxy]};
   *     with {@code --accept-proxy} each connection opens with a PROXY header (v1 or v2), which
   *     the host reads with Netty's decoder and drops, as a host behind lb4j's
   *     {@code proxyProtocol} would
   */
  public static void main(String[] argv) throws InterruptedException {
    Args args = Args.parse(argv);
    List<Integer> ports = new ArrayList<>();
    String bind;
    int threads;
    boolean acceptProxy;
    try {
      for (String p : args.string("ports", "0,0,0").split(",")) {
        ports.add(Integer.parseInt(p.trim()));
      }
      threads = args.integer("threads", 1);
      bind = args.string("bind", "127.0.0.1");
      acceptProxy = args.has("accept-proxy");
      args.rejectUnused();
    } catch (Args.UsageException | NumberFormatException e) {
      System.err.println("bench hosts: " + e.getMessage());
      System.exit(2);
      return;
    }
    LoopTransport transport = LoopTransport.best();
    EventLoopGroup group = transport.newGroup(threads, "bench-host");
    ByteBuf chunk = sourceChunk();
    List<String> bound = new ArrayList<>();
    try {
      for (int port : ports) {
        Channel listener = new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .childHandler(new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                if (acceptProxy) {
                  ch.pipeline().addLast(new HAProxyMessageDecoder(), DROP_HEADER);
                }
                ch.pipeline().addLast(new HostConnection(chunk));
              }
            })
            .bind(new InetSocketAddress(bind, port))
            .syncUninterruptibly()
            .channel();
        InetSocketAddress address = (InetSocketAddress) listener.localAddress();
        bound.add(address.getHostString() + ":" + address.getPort());
      }
    } catch (RuntimeException e) {
      System.err.println("bench hosts: cannot listen: " + e.getMessage());
      group.shutdownGracefully();
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      stopped.countDown();
    }, "bench-host-stop"));
    System.out.println("bench hosts ready on " + String.join(", ", bound) + " ("
        + transport.name().toLowerCase(Locale.ROOT) + ", " + threads + " thread"
        + (threads == 1 ? "" : "s") + ")");
    System.out.flush();
    stopped.await();
  }

  private static ByteBuf sourceChunk() {
    ByteBuf chunk = ByteBufAllocator.DEFAULT.directBuffer(SOURCE_CHUNK);
    SplittableRandom random = new SplittableRandom(42);
    while (chunk.isWritable()) {
      chunk.writeByte(random.nextInt(256));
    }
    // Shared by every source connection, which write retained duplicates and never change it.
    return chunk;
  }

  /** One accepted connection: undecided until its first bytes say echo, sink or source. */
  private static final class HostConnection extends ChannelInboundHandlerAdapter {

    private enum Mode { UNDECIDED, ECHO, SINK, SOURCE }

    private final ByteBuf chunk;
    private Mode mode = Mode.UNDECIDED;
    // The first bytes of the connection while they may still be a greeting.
    private final byte[] prefix = new byte[HostGreeting.LENGTH];
    private int prefixLength;

    HostConnection(ByteBuf chunk) {
      this.chunk = chunk;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      switch (mode) {
        case ECHO -> ctx.write(in, ctx.voidPromise());
        case SINK, SOURCE -> in.release();
        default -> decide(ctx, in);
      }
    }

    private void decide(ChannelHandlerContext ctx, ByteBuf in) {
      while (in.isReadable() && prefixLength < HostGreeting.LENGTH) {
        prefix[prefixLength++] = in.readByte();
        boolean sink = startsGreeting(HostGreeting.SINK);
        boolean source = startsGreeting(HostGreeting.SOURCE);
        if (!sink && !source) {
          mode = Mode.ECHO;
          ctx.write(Unpooled.copiedBuffer(prefix, 0, prefixLength), ctx.voidPromise());
          if (in.isReadable()) {
            ctx.write(in, ctx.voidPromise());
          } else {
            in.release();
          }
          return;
        }
        if (prefixLength == HostGreeting.LENGTH) {
          mode = sink ? Mode.SINK : Mode.SOURCE;
        }
      }
      in.release();
      if (mode == Mode.SOURCE) {
        pump(ctx);
      }
    }

    private boolean startsGreeting(HostGreeting greeting) {
      for (int i = 0; i < prefixLength; i++) {
        if (prefix[i] != greeting.byteAt(i)) {
          return false;
        }
      }
      return true;
    }

    private void pump(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      while (ch.isActive() && ch.isWritable()) {
        ctx.write(chunk.retainedDuplicate(), ctx.voidPromise());
      }
      ctx.flush();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (mode == Mode.ECHO) {
        ctx.flush();
        if (!ctx.channel().isWritable()) {
          // The client reads slower than it writes: stop reading until the echo drains.
          ctx.channel().config().setAutoRead(false);
        }
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        if (mode == Mode.SOURCE) {
          pump(ctx);
        } else {
          ctx.channel().config().setAutoRead(true);
        }
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        // The client is done sending: finish writing back, then close.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Resets are ordinary when a measure ends; nothing to report.
      ctx.close();
    }
  }
}
