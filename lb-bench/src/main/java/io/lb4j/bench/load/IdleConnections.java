package io.lb4j.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory the target holds for idle mutual-TLS connections: its resident set size before opening
 * {@code connections} connections and after, with all of them open and idle, divided by their
 * number. Each connection completes a full handshake and one 16-byte echo (so the target has
 * connected it to a host) and then stays open without traffic; at most {@code concurrency} are
 * being opened at a time. The target's CPU time spent opening them is reported per connection.
 *
 * <p>Bounded by {@code connections} and by {@code timeout} for opening them all. Each connection
 * costs a file descriptor here, two in a proxy (client and host side) and one in a host: mind the
 * open-file limit ({@code ulimit -n}).
 */
final class IdleConnections {

  private static final byte[] PING = "idle-connection\n".getBytes(StandardCharsets.US_ASCII);

  private final LoadClient client;
  private final int connections;
  private final ConcurrentLinkedQueue<Channel> open = new ConcurrentLinkedQueue<>();
  private final AtomicInteger launched = new AtomicInteger();
  private final AtomicInteger ready = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile boolean closing;
  private volatile Throwable lastFailure;
  private volatile String negotiated;

  private IdleConnections(LoadClient client, int connections) {
    this.client = client;
    this.connections = connections;
  }

  static Measurement run(LoadClient client, TargetProcess target, String name, int connections,
      int concurrency, Duration settle, Duration timeout) throws InterruptedException {
    IdleConnections run = new IdleConnections(client, connections);
    Thread.sleep(settle.toMillis());
    long rssBefore = target == null ? -1 : target.rssKiB();
    CpuWindow window = CpuWindow.open(target);
    for (int i = 0; i < Math.min(concurrency, connections); i++) {
      run.launch();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (run.ready.get() + run.failed.get() < connections && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    CpuWindow.Span opening = window.close();
    int opened = run.ready.get();
    Thread.sleep(settle.toMillis());
    long rssAfter = target == null ? -1 : target.rssKiB();
    int droppedWhileIdle = run.dropped.get();
    run.closeAll();

    Measurement m = new Measurement(name, opened + " idle connections (full mTLS handshake + "
        + "16-byte echo each, " + concurrency + " opening at a time, "
        + (run.negotiated == null ? "none completed" : run.negotiated) + "), target RSS read "
        + settle.toMillis() + " ms after the last opened");
    double perConnection = target == null || opened == 0
        ? Double.NaN : (double) (rssAfter - rssBefore) / opened;
    m.add("rss per connection", perConnection, "KiB", Measurement.Better.LOWER);
    m.add("rss before", target == null ? Double.NaN : rssBefore / 1024.0, "MiB",
        Measurement.Better.INFO);
    m.add("rss after", target == null ? Double.NaN : rssAfter / 1024.0, "MiB",
        Measurement.Better.INFO);
    m.add("opened", opened, "", Measurement.Better.INFO);
    m.add("target cpu per open", opened == 0 ? Double.NaN
        : opening.targetCpuSeconds() * 1e3 / opened, "ms", Measurement.Better.INFO);
    m.add("seconds to open", opening.seconds(), "s", Measurement.Better.INFO);
    m.add("failures", run.failed.get(), "", Measurement.Better.INFO);
    if (droppedWhileIdle > 0) {
      m.note(droppedWhileIdle + " connections were closed by the target while idle");
    }
    if (opened < connections) {
      m.note("only " + opened + " of " + connections + " connections opened"
          + (run.lastFailure == null ? " before the timeout" : "; last failure: " + run.lastFailure));
    }
    return m;
  }

  private void launch() {
    if (launched.getAndIncrement() >= connections) {
      return;
    }
    client.connect(Opening::new).addListener(connected -> {
      if (!connected.isSuccess()) {
        failed(connected.cause());
      }
    });
  }

  private void failed(Throwable cause) {
    lastFailure = cause;
    failed.incrementAndGet();
    launch();
  }

  private void closeAll() {
    closing = true;
    LoadClient.closeAll(List.copyOf(open), Duration.ofSeconds(30));
  }

  /** One connection being opened: handshake, echo, then it idles until closed. */
  private final class Opening extends ChannelInboundHandlerAdapter {

    private int echoed;
    private boolean isReady;
    private Throwable cause;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof SslHandshakeCompletionEvent completion) {
        if (!completion.isSuccess()) {
          cause = completion.cause();
          ctx.close();
          return;
        }
        if (negotiated == null) {
          negotiated = LoadClient.negotiated(ctx.channel());
        }
        ctx.writeAndFlush(Unpooled.wrappedBuffer(PING), ctx.voidPromise());
      }
      ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      echoed += in.readableBytes();
      in.release();
      if (!isReady && echoed >= PING.length) {
        isReady = true;
        open.add(ctx.channel());
        ready.incrementAndGet();
        launch();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (isReady) {
        open.remove(ctx.channel());
        if (!closing) {
          dropped.incrementAndGet();
        }
      } else {
        failed(cause == null ? new IllegalStateException("closed before the echo came back") : cause);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable failure) {
      if (cause == null) {
        cause = failure;
      }
      ctx.close();
    }
  }
}
