package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.SinkUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The idle timeout counts traffic in either direction: a connection that carries bytes either
 * way more often than the timeout outlives it, and only a silent one is closed.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class IdleTimeoutTest {

  /** Long against the pace of the trickles, so a slow machine cannot make a trickle look idle. */
  private static final Duration IDLE = Duration.ofMillis(1500);
  private static final Duration PACE = Duration.ofMillis(100);
  /** Enough ticks that a trickle lasts well over twice the idle timeout. */
  private static final int TICKS = 40;

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();
  private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopPacer() {
    pacer.shutdownNow();
  }

  private LoadBalancer start(Upstream.Builder upstream) {
    return closer.track(Fixtures.start(upstream.idleTimeout(IDLE).build(), events));
  }

  /**
   * Writes one byte to {@code out} every {@link #PACE}, {@link #TICKS} times, then runs
   * {@code last}; the returned stage completes after that, or with the first write's failure.
   */
  private CompletableFuture<Void> trickle(OutputStream out, IoAction last) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    AtomicInteger sent = new AtomicInteger();
    pacer.scheduleAtFixedRate(() -> {
      if (done.isDone()) {
        return;
      }
      try {
        out.write(sent.get());
        out.flush();
        if (sent.incrementAndGet() == TICKS) {
          last.run();
          done.complete(null);
        }
      } catch (IOException | RuntimeException e) {
        done.completeExceptionally(e);
      }
    }, 0, PACE.toNanos(), TimeUnit.NANOSECONDS);
    return done;
  }

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }

  private ConnectionEvent onlyEvent() {
    await().until(() -> events.closed.size() == 1);
    return events.closed.peek();
  }

  @Test
  void clientThatTricklesBytesUpwardOutlivesTheIdleTimeout() throws Exception {
    // The sink never answers: only the client's bytes can keep the connection alive.
    SinkUpstream sink = closer.track(Upstreams.sink());
    LoadBalancer lb = start(Fixtures.upstream("sink", sink));

    Socket s = closer.track(Clients.connect(lb.boundAddress("sink")));
    // The client closes right behind its last byte, so no idle gap follows the trickle: an event
    // other than CLIENT_CLOSED can only come from the idle timer firing while bytes still came.
    trickle(s.getOutputStream(), s::close).get(60, TimeUnit.SECONDS);
    await().until(() -> sink.bytesReceived() == TICKS);

    ConnectionEvent event = onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_CLOSED);
    assertThat(event.bytesFromClient()).isEqualTo(TICKS);
    assertThat(event.bytesToClient()).isZero();
    assertThat(event.duration()).isGreaterThan(IDLE.multipliedBy(2));
  }

  @Test
  void downloadToAClientThatNeverSendsOutlivesTheIdleTimeout() throws Exception {
    try (ServerSocket host = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      LoadBalancer lb = start(Upstream.builder("download")
          .hosts(List.of(Host.of("127.0.0.1", host.getLocalPort()))));
      CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
        try {
          return host.accept();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });

      try (Socket client = Clients.connect(lb.boundAddress("download"));
          Socket upstream = accepted.get(30, TimeUnit.SECONDS)) {
        // The host ends its stream right behind its last byte: UPSTREAM_CLOSED is the only reason
        // that can follow unless the idle timer fired while bytes still came.
        CompletableFuture<Void> sent = trickle(upstream.getOutputStream(), upstream::shutdownOutput);
        InputStream in = client.getInputStream();
        for (int i = 0; i < TICKS; i++) {
          assertThat(in.read()).as("byte %d of the download", i).isEqualTo(i);
        }
        sent.get(60, TimeUnit.SECONDS);
        assertThat(in.read()).as("the host's end of stream").isEqualTo(-1);
      }
    }

    ConnectionEvent event = onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.UPSTREAM_CLOSED);
    assertThat(event.bytesToClient()).isEqualTo(TICKS);
    assertThat(event.bytesFromClient()).isZero();
    assertThat(event.duration()).isGreaterThan(IDLE.multipliedBy(2));
  }

  @Test
  void silentConnectionIsClosedWithIdleTimeout() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    LoadBalancer lb = start(Fixtures.upstream("sink", sink));

    try (Socket s = Clients.connect(lb.boundAddress("sink"))) {
      s.getOutputStream().write(1);
      assertThat(s.getInputStream().read()).as("lb4j closes the silent client").isEqualTo(-1);
    }

    ConnectionEvent event = onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.IDLE_TIMEOUT);
    assertThat(event.bytesFromClient()).isEqualTo(1);
  }
}
