package io.lb4j.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request/response over persistent connections to echo hosts: each connection sends {@code size}
 * bytes, waits until {@code size} bytes are back, records the time, and sends the next request.
 * A closed loop: one request in flight per connection, so the latencies are those of a client
 * that waits for its answer (no coordinated-omission correction applies or is made).
 *
 * <p>Bounded by {@code duration} and, when positive, by {@code count} requests in the measured
 * window, whichever comes first.
 */
final class RequestResponse {

  private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

  private RequestResponse() {}

  static Measurement run(LoadClient client, TargetProcess target, String name, int connections,
      int size, Duration warmup, Duration duration, long count) throws InterruptedException {
    byte[] request = new byte[size];
    for (int i = 1; i < size; i++) {
      request[i] = (byte) i;
    }
    Recorder latencies = new Recorder(HIGHEST_NANOS, 3);
    LongAdder answered = new LongAdder();
    List<Exchange> exchanges = new ArrayList<>();
    List<Channel> channels = new ArrayList<>();
    try {
      List<ChannelFuture> connects = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        Exchange exchange = new Exchange(request, latencies, answered);
        exchanges.add(exchange);
        connects.add(client.connect(() -> exchange));
      }
      for (int i = 0; i < connections; i++) {
        channels.add(connects.get(i).sync().channel());
        exchanges.get(i).started.get(15, TimeUnit.SECONDS);
      }
      String negotiated = LoadClient.negotiated(channels.get(0));
      Thread.sleep(warmup.toMillis());
      latencies.reset();
      long before = answered.sum();
      CpuWindow window = CpuWindow.open(target);
      long deadline = System.nanoTime() + duration.toNanos();
      while (System.nanoTime() < deadline && (count <= 0 || answered.sum() - before < count)) {
        Thread.sleep(5);
      }
      long done = answered.sum() - before;
      CpuWindow.Span span = window.close();
      Histogram h = latencies.getIntervalHistogram();

      Measurement m = new Measurement(name, size + " B each way, " + connections
          + " persistent connections, one request in flight on each, " + negotiated + ", "
          + Measurement.number(span.seconds()) + " s measured after " + warmup.toMillis() + " ms");
      m.window(span);
      m.add("requests/s", done / span.seconds(), "1/s", Measurement.Better.HIGHER);
      m.add("latency p50", Measurement.millis(h, 50), "ms", Measurement.Better.LOWER);
      m.add("latency p99", Measurement.millis(h, 99), "ms", Measurement.Better.LOWER);
      m.add("latency p99.9", Measurement.millis(h, 99.9), "ms", Measurement.Better.LOWER);
      m.add("target cpu per req", Measurement.per(span.targetCpuSeconds() * 1e6, done), "us",
          Measurement.Better.LOWER);
      m.add("target cores", span.targetCores(), "cores", Measurement.Better.INFO);
      m.add("client cores", span.clientCores(), "cores", Measurement.Better.INFO);
      long lost = exchanges.stream().filter(Exchange::lost).count();
      if (lost > 0) {
        m.note(lost + " of " + connections + " connections closed during the run: the figures are low");
      }
      return m;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("a connection did not complete its TLS handshake: "
          + (e.getCause() == null ? e : e.getCause()), e);
    } finally {
      for (Exchange e : exchanges) {
        e.stop();
      }
      LoadClient.closeAll(channels, Duration.ofSeconds(10));
    }
  }

  /** One persistent connection; its methods run on its event loop except {@link #stop}. */
  private static final class Exchange extends ChannelInboundHandlerAdapter {

    final CompletableFuture<Void> started = new CompletableFuture<>();
    private final byte[] request;
    private final Recorder latencies;
    private final LongAdder answered;
    private volatile boolean running = true;
    private volatile boolean lost;
    private long sentAt;
    private int received;

    Exchange(byte[] request, Recorder latencies, LongAdder answered) {
      this.request = request;
      this.latencies = latencies;
      this.answered = answered;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof SslHandshakeCompletionEvent done) {
        if (!done.isSuccess()) {
          started.completeExceptionally(done.cause());
          ctx.close();
          return;
        }
        started.complete(null);
        send(ctx);
      }
      ctx.fireUserEventTriggered(event);
    }

    private void send(ChannelHandlerContext ctx) {
      sentAt = System.nanoTime();
      ctx.writeAndFlush(Unpooled.wrappedBuffer(request), ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      received += in.readableBytes();
      in.release();
      if (received >= request.length) {
        // An echo never runs ahead of the request it answers: at most one answer is here.
        received -= request.length;
        latencies.recordValue(Math.min(System.nanoTime() - sentAt, HIGHEST_NANOS));
        answered.increment();
        if (running) {
          send(ctx);
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      lost = running;
      started.completeExceptionally(new IllegalStateException("connection closed"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      started.completeExceptionally(cause);
      ctx.close();
    }

    void stop() {
      running = false;
    }

    boolean lost() {
      return lost;
    }
  }
}
