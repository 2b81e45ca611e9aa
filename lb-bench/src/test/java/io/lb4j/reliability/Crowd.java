package io.lb4j.reliability;

import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.StreamResult;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Many clients that each stream checked bytes through lb4j to an echo host, in lock-step rounds,
 * and meet at a barrier after their first round: a test starts them, waits until every one of
 * them is established and has echoed a round, injects its fault or reload, then releases them to
 * stream the rest. A client whose connection ends before its first round arrives at the barrier
 * all the same. Each client may also be told to stop early, ending its stream cleanly after the
 * current round.
 */
final class Crowd implements AutoCloseable {

  /** Opens a connected socket (plain or TLS, handshake done) to lb4j. */
  @FunctionalInterface
  interface Connector {
    Socket connect() throws IOException;
  }

  /** What one client saw: its stream's result and its local port, which names it in events. */
  record Streamed(StreamResult result, int localPort) {}

  private static final Duration BARRIER_LIMIT = Duration.ofMinutes(3);

  private final int size;
  private final CountDownLatch arrived;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Parallel threads;
  private final List<Future<Streamed>> futures;

  private Crowd(int size, Connector connector, long maxLength, int chunk) {
    this.size = size;
    this.arrived = new CountDownLatch(size);
    this.threads = Parallel.threads(size, "crowd");
    this.futures = threads.submitAll(size, i -> () -> stream(connector, maxLength, chunk));
  }

  /**
   * Starts {@code size} clients, each streaming up to {@code maxLength} bytes in rounds of
   * {@code chunk}.
   */
  static Crowd start(int size, Connector connector, long maxLength, int chunk) {
    return new Crowd(size, connector, maxLength, chunk);
  }

  private Streamed stream(Connector connector, long maxLength, int chunk) throws Exception {
    AtomicBoolean here = new AtomicBoolean();
    try (Socket socket = connector.connect()) {
      StreamResult r = CheckedStreams.echo(socket, maxLength, chunk, () -> !stop.get(), () -> {
        here.set(true);
        arrived.countDown();
        awaitRelease();
      });
      return new Streamed(r, socket.getLocalPort());
    } finally {
      if (!here.get()) {
        arrived.countDown();
      }
    }
  }

  private void awaitRelease() {
    try {
      if (!release.await(BARRIER_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("the test never released the crowd");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted at the barrier", e);
    }
  }

  /** Waits until every client has echoed its first round (or ended), then returns. */
  Crowd awaitEstablished() throws InterruptedException {
    if (!arrived.await(BARRIER_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(arrived.getCount() + " of " + size
          + " clients did not complete their first round within " + BARRIER_LIMIT);
    }
    return this;
  }

  /** Lets the clients stream the rest. */
  Crowd release() {
    release.countDown();
    return this;
  }

  /** Tells every client to end its stream after the round it is in. */
  Crowd stopStreaming() {
    stop.set(true);
    return this;
  }

  /** Returns every client's outcome, waiting at most {@code limit}. */
  List<Streamed> results(Duration limit) throws InterruptedException {
    return Parallel.results(futures, limit);
  }

  @Override
  public void close() {
    release.countDown();
    threads.close();
  }
}
