package io.lb4j.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Mutual-TLS handshakes, each connecting, completing a handshake, sending 32 bytes, reading them
 * back and closing. The handshake is a full one (the client offers no session) unless the client
 * {@link LoadClient#resumes()}: then each connection offers a session ticket of an earlier one,
 * and the share that did resume is reported. A handshake counts once its echo is back, which
 * proves the target reached a host. Two ways to start them:
 *
 * <ul>
 *   <li>{@link #run closed loop}: {@code concurrency} loops, each starting its next handshake when
 *       the last one closed; the rate is whatever the target and the client sustain. The
 *       handshake time is from starting the TCP connect to the end of the handshake.
 *   <li>{@link #paced open loop}: handshakes started on a fixed schedule, {@code rate} a second,
 *       whether or not the earlier ones are done, so both targets get the same offered load. The
 *       handshake time is from the scheduled start, so a client late to start one (because it or
 *       the target is behind) counts that delay too: no coordinated omission. At most
 *       {@value #MAX_IN_FLIGHT} are in flight; a scheduled start beyond that is skipped and
 *       counted.
 * </ul>
 *
 * <p>Bounded by {@code duration} and, when positive, by {@code count} handshakes in the measured
 * window, whichever comes first.
 */
final class Handshakes {

  private static final byte[] PING = new byte[32];
  private static final long RETRY_DELAY_MILLIS = 10;
  static final int MAX_IN_FLIGHT = 1000;
  private static final long PACING_TICK_MICROS = 500;

  private final LoadClient client;
  /** Handshakes started a second in the open loop; 0 for the closed loop. */
  private final double rate;
  private final Recorder handshakeNanos = new Recorder(TimeUnit.SECONDS.toNanos(30), 3);
  private final LongAdder completed = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder resumed = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean running = true;
  private volatile String negotiated;
  private volatile Throwable lastFailure;

  static {
    for (int i = 0; i < PING.length; i++) {
      PING[i] = (byte) ('a' + i % 26);
    }
  }

  private Handshakes(LoadClient client, double rate) {
    this.client = client;
    this.rate = rate;
  }

  /** The closed loop: {@code concurrency} handshakes at a time, each followed by the next. */
  static Measurement run(LoadClient client, TargetProcess target, String name, int concurrency,
      Duration warmup, Duration duration, long count) throws InterruptedException {
    Handshakes run = new Handshakes(client, 0);
    for (int i = 0; i < concurrency; i++) {
      run.launch(System.nanoTime());
    }
    return run.measure(target, name, concurrency + " at a time", warmup, duration, count);
  }

  /**
   * The open loop: {@code rate} handshakes started a second on a fixed schedule, each measured
   * from its scheduled start.
   */
  static Measurement paced(LoadClient client, TargetProcess target, String name, double rate,
      Duration warmup, Duration duration, long count) throws InterruptedException {
    Handshakes run = new Handshakes(client, rate);
    ScheduledFuture<?> pacing = run.startPacing();
    try {
      return run.measure(target, name, "started " + Measurement.number(rate)
          + " a second on a fixed schedule, timed from the scheduled start", warmup, duration,
          count);
    } finally {
      pacing.cancel(false);
    }
  }

  private Measurement measure(TargetProcess target, String name, String how, Duration warmup,
      Duration duration, long count) throws InterruptedException {
    Thread.sleep(warmup.toMillis());
    long before = completed.sum();
    long failedBefore = failed.sum();
    long resumedBefore = resumed.sum();
    long skippedBefore = skipped.sum();
    handshakeNanos.reset();
    CpuWindow window = CpuWindow.open(target);
    long deadline = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < deadline && (count <= 0 || completed.sum() - before < count)) {
      Thread.sleep(5);
    }
    long done = completed.sum() - before;
    CpuWindow.Span span = window.close();
    Histogram hsTimes = handshakeNanos.getIntervalHistogram();
    long failures = failed.sum() - failedBefore;
    long resumedInWindow = resumed.sum() - resumedBefore;
    long skippedInWindow = skipped.sum() - skippedBefore;
    stop();

    Measurement m = new Measurement(name, (client.resumes() ? "resumed" : "full")
        + " mTLS handshake + 32-byte echo + close, "
        + how + ", " + (negotiated == null ? "no handshake completed"
        : negotiated) + ", " + Measurement.number(span.seconds()) + " s measured after "
        + warmup.toMillis() + " ms");
    m.window(span);
    m.add("handshakes/s", done / span.seconds(), "1/s", Measurement.Better.HIGHER);
    m.add("target cpu per hs", Measurement.per(span.targetCpuSeconds() * 1e3, done), "ms",
        Measurement.Better.LOWER);
    // In the closed loop the rate is the measure, and handshake times describe it; at a fixed
    // offered rate the times are the measure.
    Measurement.Better times = rate > 0 ? Measurement.Better.LOWER : Measurement.Better.INFO;
    m.add("hs time p50", Measurement.millis(hsTimes, 50), "ms", times);
    m.add("hs time p99", Measurement.millis(hsTimes, 99), "ms", times);
    if (rate > 0) {
      m.add("hs time p99.9", Measurement.millis(hsTimes, 99.9), "ms", times);
      m.add("offered rate", rate, "1/s", Measurement.Better.INFO);
      m.add("skipped", skippedInWindow, "", Measurement.Better.INFO);
      if (done < 0.9 * rate * span.seconds()) {
        m.note("completed " + Measurement.number(done / span.seconds()) + " a second of the "
            + Measurement.number(rate) + " offered: these are the times of a target (or client) "
            + "that did not keep up; compare at a rate both sustain (--handshake-rate), below "
            + "the closed-loop handshakes/s of each");
      }
      if (skippedInWindow > 0) {
        m.note(skippedInWindow + " scheduled handshakes were not started: " + MAX_IN_FLIGHT
            + " were already in flight, so the target (or the client) did not keep up with "
            + Measurement.number(rate) + " a second");
      }
    }
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
    } else if (resumed.sum() > 0) {
      m.note(resumed.sum() + " handshakes resumed a session: they were not all full handshakes");
    }
    if (failures > 0 && lastFailure != null) {
      m.note("last failure: " + lastFailure);
    }
    return m;
  }

  /** Starts the pacing: every tick, starts the handshakes whose scheduled time has come. */
  private ScheduledFuture<?> startPacing() {
    long origin = System.nanoTime();
    double nanosApart = 1e9 / rate;
    long[] started = {0};
    EventLoop loop = client.executor();
    return loop.scheduleAtFixedRate(() -> {
      long now = System.nanoTime();
      while (running) {
        long scheduled = origin + (long) (started[0] * nanosApart);
        if (scheduled > now) {
          return;
        }
        started[0]++;
        if (inFlight.get() >= MAX_IN_FLIGHT) {
          skipped.increment();
        } else {
          launch(scheduled);
        }
      }
    }, 0, PACING_TICK_MICROS, TimeUnit.MICROSECONDS);
  }

  private void launch(long start) {
    if (!running) {
      return;
    }
    inFlight.incrementAndGet();
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
    if (running && rate == 0) {
      // A target that refuses must not turn the loop into a busy spin.
      client.executor().schedule(() -> launch(System.nanoTime()), RETRY_DELAY_MILLIS,
          TimeUnit.MILLISECONDS);
    }
  }

  private void stop() throws InterruptedException {
    running = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /** One connection: handshake, echo, close; then, in the closed loop, the next one starts. */
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
        if (rate == 0) {
          launch(System.nanoTime());
        }
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
