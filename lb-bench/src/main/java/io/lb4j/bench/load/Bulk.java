package io.lb4j.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bulk throughput over a fixed set of connections that stay open for the whole run.
 *
 * <ul>
 *   <li>{@link Direction#UP}: the client writes as fast as the target takes it, to a sink host
 *       ({@link HostGreeting#SINK}); counted are the bytes the client handed to TLS.
 *   <li>{@link Direction#DOWN}: a source host writes as fast as the client reads
 *       ({@link HostGreeting#SOURCE}); counted are the bytes the client received.
 *   <li>{@link Direction#ECHO}: the client writes, an echo host sends everything back; counted are
 *       the bytes that came back, so each counted byte crossed the proxy twice ("GB one way").
 *       At most 2 MiB per connection are on their way at any time.
 * </ul>
 *
 * <p>After a warm-up, a window of the given duration is measured: bytes counted in it, the
 * target's CPU time in it. Bytes in flight at the window's edges (socket buffers, a few MB) are
 * counted at one edge and worked on at the other, which cancels out to well under 1% of a run of
 * seconds.
 */
final class Bulk {

  enum Direction { UP, DOWN, ECHO }

  private static final int CHUNK = 64 * 1024;
  // Writes handed over in one go before the loop yields to reads and other connections.
  private static final int CHUNKS_PER_TURN = 4;
  // Echo: bytes sent and not yet back, at most. Without a bound the client writes far ahead of
  // what it reads, the kernel's socket buffers along the path grow towards their autotuning
  // limits (tens of MB each), and the whole machine can fall into TCP memory pressure, where the
  // kernel drops loopback segments and every connection stalls in retransmission back-off.
  private static final long ECHO_WINDOW = 2 * 1024 * 1024;

  private Bulk() {}

  static Measurement run(LoadClient client, TargetProcess target, String name, Direction direction,
      int connections, Duration warmup, Duration duration, boolean progress)
      throws InterruptedException {
    ByteBuf chunk = payload();
    LongAdder counted = new LongAdder();
    List<BulkConnection> open = new ArrayList<>();
    List<Channel> channels = new ArrayList<>();
    try {
      List<ChannelFuture> connects = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        BulkConnection connection = new BulkConnection(direction, chunk, counted);
        open.add(connection);
        connects.add(client.connect(() -> connection));
      }
      for (int i = 0; i < connections; i++) {
        channels.add(connects.get(i).sync().channel());
        open.get(i).started.get(15, TimeUnit.SECONDS);
      }
      String negotiated = LoadClient.negotiated(channels.get(0));
      Thread.sleep(warmup.toMillis());
      long before = counted.sum();
      CpuWindow window = CpuWindow.open(target);
      // Sampled every 100 ms to find the slowest second: a stall shows there, not in the mean.
      long windowStart = System.nanoTime();
      long deadline = windowStart + duration.toNanos();
      List<Long> samples = new ArrayList<>();
      samples.add(before);
      while (System.nanoTime() < deadline) {
        Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
        samples.add(counted.sum());
        if (progress && samples.size() % 10 == 1) {
          System.err.printf(Locale.ROOT, "  %s: %.1f MB/s in the last second%n", name,
              (samples.get(samples.size() - 1) - samples.get(samples.size() - 11)) / 1e6);
        }
      }
      long after = counted.sum();
      CpuWindow.Span span = window.close();

      double bytes = after - before;
      String what = switch (direction) {
        case UP -> "upload to sink hosts";
        case DOWN -> "download from source hosts";
        case ECHO -> "echo, bytes counted once on their way back";
      };
      Measurement m = new Measurement(name, what + " over " + connections + " connection"
          + (connections == 1 ? "" : "s") + ", " + negotiated + ", "
          + Measurement.number(span.seconds()) + " s measured after " + warmup.toMillis() + " ms");
      m.window(span);
      m.add("throughput", bytes / span.seconds() / 1e6, "MB/s", Measurement.Better.HIGHER);
      m.add("target cpu per GB", Measurement.per(span.targetCpuSeconds(), bytes / 1e9), "s/GB",
          Measurement.Better.LOWER);
      m.add("slowest second", slowestSecond(samples) / 1e6, "MB/s", Measurement.Better.INFO);
      m.add("target cores", span.targetCores(), "cores", Measurement.Better.INFO);
      m.add("client cores", span.clientCores(), "cores", Measurement.Better.INFO);
      long lost = open.stream().filter(BulkConnection::lost).count();
      if (lost > 0) {
        m.note(lost + " of " + connections + " connections closed during the run: the figures are low");
      }
      if (bytes == 0) {
        m.note("no bytes were counted: is the target forwarding to bench hosts?");
      }
      return m;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("a bulk connection did not complete its TLS handshake: "
          + (e.getCause() == null ? e : e.getCause()), e);
    } finally {
      for (BulkConnection c : open) {
        c.stop();
      }
      LoadClient.closeAll(channels, Duration.ofSeconds(10));
      chunk.release();
    }
  }

  /** The fewest bytes counted in any ten consecutive 100 ms samples; the mean if shorter. */
  private static double slowestSecond(List<Long> samples) {
    if (samples.size() <= 10) {
      return (samples.get(samples.size() - 1) - samples.get(0)) * 10.0 / (samples.size() - 1);
    }
    long slowest = Long.MAX_VALUE;
    for (int i = 10; i < samples.size(); i++) {
      slowest = Math.min(slowest, samples.get(i) - samples.get(i - 10));
    }
    return slowest;
  }

  /** 64 KiB of random bytes, the first not 'L' so an echo host never mistakes it for a greeting. */
  private static ByteBuf payload() {
    ByteBuf chunk = ByteBufAllocator.DEFAULT.directBuffer(CHUNK);
    SplittableRandom random = new SplittableRandom(7);
    while (chunk.isWritable()) {
      chunk.writeByte(random.nextInt(256));
    }
    chunk.setByte(0, 0);
    return chunk;
  }

  /** One connection of the run; all its methods run on its event loop except {@link #stop}. */
  private static final class BulkConnection extends ChannelInboundHandlerAdapter {

    final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Direction direction;
    private final ByteBuf chunk;
    private final LongAdder counted;
    private volatile boolean sending;
    private volatile boolean stopped;
    private volatile boolean lost;
    private ChannelHandlerContext ctx;
    // Event-loop state: bytes written and read back, and whether a pump is queued.
    private long sent;
    private long received;
    private boolean pumpQueued;

    BulkConnection(Direction direction, ByteBuf chunk, LongAdder counted) {
      this.direction = direction;
      this.chunk = chunk;
      this.counted = counted;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof SslHandshakeCompletionEvent done) {
        if (!done.isSuccess()) {
          started.completeExceptionally(done.cause());
          ctx.close();
          return;
        }
        this.ctx = ctx;
        switch (direction) {
          case UP -> {
            ctx.write(HostGreeting.SINK.buffer(), ctx.voidPromise());
            sending = true;
            pump();
          }
          case DOWN -> ctx.writeAndFlush(HostGreeting.SOURCE.buffer(), ctx.voidPromise());
          case ECHO -> {
            sending = true;
            pump();
          }
        }
        started.complete(null);
      }
      ctx.fireUserEventTriggered(event);
    }

    private boolean mayWrite() {
      return sending && ctx.channel().isWritable()
          && (direction != Direction.ECHO || sent - received < ECHO_WINDOW);
    }

    private void pump() {
      pumpQueued = false;
      int turn = 0;
      while (turn++ < CHUNKS_PER_TURN && mayWrite()) {
        ctx.write(chunk.retainedDuplicate(), ctx.voidPromise());
        sent += CHUNK;
        if (direction == Direction.UP) {
          counted.add(CHUNK);
        }
      }
      ctx.flush();
      queuePump();
    }

    /** Goes on writing after whatever else the loop has to do (reads, other connections). */
    private void queuePump() {
      if (!pumpQueued && mayWrite()) {
        pumpQueued = true;
        ctx.executor().execute(this::pump);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (direction != Direction.UP) {
        counted.add(in.readableBytes());
      }
      if (direction == Direction.ECHO) {
        received += in.readableBytes();
        queuePump();
      }
      in.release();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      queuePump();
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      sending = false;
      lost = !stopped;
      started.completeExceptionally(new IllegalStateException("connection closed"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      started.completeExceptionally(cause);
      ctx.close();
    }

    void stop() {
      stopped = true;
      sending = false;
    }

    boolean lost() {
      return lost;
    }
  }
}
