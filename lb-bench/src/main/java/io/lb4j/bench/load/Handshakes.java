package io.lb4j.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Mutual-TLS handshakes per second: {@code concurrency} loops, each connecting, completing a
 * handshake, sending 32 bytes, reading them back and closing, then starting over. The handshake is
 * a full one (the client offers no session) unless the client {@link LoadClient#resumes()}: then
 * each connection offers a session ticket of an earlier one, and the share that did resume is
 * reported. A handshake counts once its echo is back, which proves the target reached a
 * host. Also reports the client-side handshake time (TCP connect to handshake done).
 *
 * <p>Bounded by {@code duration} and, when positive, by {@code count} handshakes in the measured
 * window, whichever comes first.
 */
final class Handshakes {

  private static final byte[] PING = new byte[32];
  private static final long RETRY_DELAY_MILLIS = 10;

  private final LoadClient client;
  private final Recorder handshakeNanos = new Recorder(TimeUnit.SECONDS.toNanos(30), 3);
  private final LongAdder completed = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder resumed = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean running = true;
  private volatile String negotiated;
  private volatile Throwable lastFailure;

  static {
    for (int i = 0; i < PING.length; i++) {
      PING[i] = (byte) ('a' + i % 26);
    }
  }

  private Handshakes(LoadClient client) {
    this.client = client;
  }

  static Measurement run(LoadClient client, TargetProcess target, String name, int concurrency,
      Duration warmup, Duration duration, long count) throws InterruptedException {
    Handshakes run = new Handshakes(client);
    for (int i = 0; i < concurrency; i++) {
      run.launch();
    }
    Thread.sleep(warmup.toMillis());
    long before = run.completed.sum();
    long failedBefore = run.failed.sum();
    long resumedBefore = run.resumed.sum();
    run.handshakeNanos.reset();
    CpuWindow window = CpuWindow.open(target);
    long deadline = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < deadline && (count <= 0 || run.completed.sum() - before < count)) {
      Thread.sleep(5);
    }
    long done = run.completed.sum() - before;
    CpuWindow.Span span = window.close();
    Histogram times = run.handshakeNanos.getIntervalHistogram();
    long failures = run.failed.sum() - failedBefore;
    long resumedInWindow = run.resumed.sum() - resumedBefore;
    run.stop();

    Measurement m = new Measurement(name, (client.resumes() ? "resumed" : "full")
        + " mTLS handshake + 32-byte echo + close, "
        + concurrency + " at a time, " + (run.negotiated == null ? "no handshake completed"
        : run.negotiated) + ", " + Measurement.number(span.seconds()) + " s measured after "
        + warmup.toMillis() + " ms");
    m.add("handshakes/s", done / span.seconds(), "1/s", Measurement.Better.HIGHER);
    m.add("target cpu per hs", Measurement.per(span.targetCpuSeconds() * 1e3, done), "ms",
        Measurement.Better.LOWER);
    m.add("hs time p50", Measurement.millis(times, 50), "ms", Measurement.Better.INFO);
    m.add("hs time p99", Measurement.millis(times, 99), "ms", Measurement.Better.INFO);
    m.add("target cores", span.targetCores(), "cores", Measurement.Better.INFO);
    m.add("client cores", span.clientCores(), "cores", Measurement.Better.INFO);
    m.add("failures", failures, "", Measurement.Better.INFO);
    if (client.resumes()) {
      double share = done == 0 ? 0 : Math.min(1.0, (double) resumedInWindow / done);
      m.add("resumed share", share, "", Measurement.Better.INFO);
      if (share < 0.95) {
        m.note("only " + Measurement.number(share * 100) + "% of the handshakes resumed a session:"
            + " each loop's first handshake is a full one, and a target that declines a ticket"
            + " makes more");
      }
    } else if (run.resumed.sum() > 0) {
      m.note(run.resumed.sum() + " handshakes resumed a session: they were not all full handshakes");
    }
    if (failures > 0 && run.lastFailure != null) {
      m.note("last failure: " + run.lastFailure);
    }
    return m;
  }

  private void launch() {
    if (!running) {
      return;
    }
    inFlight.incrementAndGet();
    long start = System.nanoTime();
    client.connect(() -> new OneHandshake(start)).addListener(connected -> {
      if (!connected.isSuccess()) {
        // Never active, so the handler's channelInactive will not run: account for it here.
        failed(connected.cause());
      }
    });
  }

  private void failed(Throwable cause) {
    failed.increment();
    lastFailure = cause;
    inFlight.decrementAndGet();
    if (running) {
      // A target that refuses must not turn the loop into a busy spin.
      client.executor().schedule(this::launch, RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void stop() throws InterruptedException {
    running = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /** One connection: handshake, echo, close; then the next one starts. */
  private final class OneHandshake extends ChannelInboundHandlerAdapter {

    private final long start;
    private int echoed;
    private boolean done;
    private Throwable cause;

    OneHandshake(long start) {
      this.start = start;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof SslHandshakeCompletionEvent completion) {
        if (!completion.isSuccess()) {
          cause = completion.cause();
          ctx.close();
          return;
        }
        handshakeNanos.recordValue(Math.min(System.nanoTime() - start, TimeUnit.SECONDS.toNanos(30)));
        if (negotiated == null) {
          negotiated = LoadClient.negotiated(ctx.channel());
        }
        if (LoadClient.resumed(ctx.channel())) {
          resumed.increment();
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
      if (!done && echoed >= PING.length) {
        done = true;
        completed.increment();
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (done) {
        inFlight.decrementAndGet();
        launch();
      } else {
        failed(cause == null
            ? new IllegalStateException("closed before the echo came back") : cause);
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
