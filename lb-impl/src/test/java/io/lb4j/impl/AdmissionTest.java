package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.SinkUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Refused clients send nothing upstream; admitted ones are released to the limiter once. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class AdmissionTest {

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  /** A started load balancer in front of {@code sink}, reporting to {@link #events}. */
  private LoadBalancer sinkBalancer(
      SinkUpstream sink, UnaryOperator<LoadBalancer.Builder> configure) {
    return closer.track(
        configure
            .apply(
                LoadBalancer.builder()
                    .upstream(Fixtures.upstream("sink", sink).build(), Fixtures.ANY_PORT)
                    .listener(events))
            .build()
            .start());
  }

  private static void sendAndExpectClose(Socket s) throws Exception {
    s.setSoTimeout(10_000);
    try {
      s.getOutputStream().write(new byte[100]);
    } catch (java.io.IOException alreadyClosed) {
      // a refused client may find the connection closed before it writes
    }
    try {
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    } catch (java.net.SocketException reset) {
      // closing with unread bytes makes the kernel answer with a reset: also a refusal
    }
  }

  @Test
  void unauthorizedClientIsRefusedAndUpstreamSeesNothing() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    LoadBalancer lb =
        sinkBalancer(
            sink,
            b -> b.authorizer(
                (identity, upstream) -> Decision.refuse(RefusalReason.UNAUTHORIZED, "nobody may")));
    try (Socket s = Clients.connect(lb.boundAddress("sink"))) {
      sendAndExpectClose(s);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.refusals).extracting(Refuse::reason).containsExactly(RefusalReason.UNAUTHORIZED);
    assertThat(events.closed.peek().reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(events.closed.peek().refusal().detail()).isEqualTo("nobody may");
    assertThat(sink.acceptedConnections()).isZero();
  }

  @Test
  void rateLimitedClientIsRefusedAndUpstreamSeesNothing() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    CountingLimiter limiter = new CountingLimiter(1);
    LoadBalancer lb = sinkBalancer(sink, b -> b.rateLimiter(limiter));
    try (Socket admitted = Clients.connect(lb.boundAddress("sink"))) {
      await().until(() -> sink.openConnections() == 1);
      try (Socket refused = Clients.connect(lb.boundAddress("sink"))) {
        sendAndExpectClose(refused);
      }
      await().until(() -> events.refusals.size() == 1);
      assertThat(events.refusals.peek().reason()).isEqualTo(RefusalReason.RATE_LIMITED);
      assertThat(events.refusals.peek().retryAfter()).isEqualTo(Duration.ofSeconds(1));
      assertThat(sink.acceptedConnections()).isEqualTo(1);
    }
    await().until(() -> events.closed.size() == 2);
    assertThat(limiter.released.get()).isEqualTo(1);
    assertThat(limiter.inUse.get()).isZero();
  }

  @Test
  void limiterThatAnswersLaterOnAnotherThreadStillAdmits() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    RateLimiter slow =
        (identity, upstream) ->
            CompletableFuture.supplyAsync(
                Decision::admit, CompletableFuture.delayedExecutor(50, java.util.concurrent.TimeUnit.MILLISECONDS));
    LoadBalancer lb = sinkBalancer(sink, b -> b.rateLimiter(slow));
    try (Socket s = Clients.connect(lb.boundAddress("sink"))) {
      s.getOutputStream().write(new byte[500]);
      await().until(() -> sink.bytesReceived() == 500);
    }
  }

  @Test
  void limiterAdmissionForClientThatResetIsGivenBack() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    CompletableFuture<io.lb4j.api.Decision> answer = new CompletableFuture<>();
    AtomicInteger released = new AtomicInteger();
    RateLimiter pending =
        new RateLimiter() {
          @Override
          public CompletionStage<io.lb4j.api.Decision> acquire(ClientIdentity identity, String upstream) {
            return answer;
          }

          @Override
          public void release(ClientIdentity identity, String upstream) {
            released.incrementAndGet();
          }
        };
    LoadBalancer lb = sinkBalancer(sink, b -> b.rateLimiter(pending));
    Socket s = Clients.connect(lb.boundAddress("sink"));
    await().until(() -> events.accepted.get() == 1);
    s.setSoLinger(true, 0);
    s.close();
    await().until(() -> events.closed.size() == 1);
    answer.complete(io.lb4j.api.Decision.admit());
    await().until(() -> released.get() == 1);
    assertThat(sink.acceptedConnections()).isZero();
  }

  @Test
  void connectionIsReleasedToTheLimiterThatAdmittedItAfterASwap() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    CountingLimiter first = new CountingLimiter(10);
    CountingLimiter second = new CountingLimiter(10);
    LoadBalancer lb = sinkBalancer(sink, b -> b.rateLimiter(first));
    try (Socket s = Clients.connect(lb.boundAddress("sink"))) {
      await().until(() -> sink.openConnections() == 1);
      lb.rateLimiter(second);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(first.released.get()).isEqualTo(1);
    assertThat(first.inUse.get()).isZero();
    assertThat(second.released.get()).isZero();
  }

  @Test
  void tlsFactoryThatCannotMakeAnEngineRefusesTheClientWithAnEvent() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    io.lb4j.api.TlsContextFactory broken =
        () -> {
          throw new IllegalStateException("no material loaded");
        };
    LoadBalancer lb = sinkBalancer(sink, b -> b.tls(broken));
    try (Socket s = Clients.connect(lb.boundAddress("sink"))) {
      sendAndExpectClose(s);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.refusals).extracting(Refuse::reason).containsExactly(RefusalReason.TLS_FAILED);
    assertThat(events.closed.peek().refusal().detail()).contains("no material loaded");
    assertThat(sink.acceptedConnections()).isZero();
  }

  @Test
  void limiterAdmissionsThatArriveAfterShutdownAreGivenBackOnce() throws Exception {
    SinkUpstream sink = closer.track(Upstreams.sink());
    List<CompletableFuture<Decision>> answers = new CopyOnWriteArrayList<>();
    AtomicInteger released = new AtomicInteger();
    RateLimiter slowStore =
        new RateLimiter() {
          @Override
          public CompletionStage<Decision> acquire(ClientIdentity identity, String upstream) {
            CompletableFuture<Decision> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
          }

          @Override
          public void release(ClientIdentity identity, String upstream) {
            released.incrementAndGet();
          }
        };
    LoadBalancer lb = sinkBalancer(sink, b -> b.rateLimiter(slowStore).drainTimeout(Duration.ZERO));
    closer.track(Clients.connect(lb.boundAddress("sink")));
    closer.track(Clients.connect(lb.boundAddress("sink")));
    await().until(() -> answers.size() == 2);
    lb.close(); // returns once the event loops have terminated

    answers.forEach(answer -> answer.complete(Decision.admit()));

    assertThat(released).hasValue(2);
    assertThat(events.closedEvents())
        .extracting(io.lb4j.api.ConnectionEvent::reason)
        .containsExactly(CloseReason.SHUTDOWN, CloseReason.SHUTDOWN);
    assertThat(sink.acceptedConnections()).isZero();
  }

  /** Admits up to {@code cap} connections at once, counting acquires and releases. */
  private static final class CountingLimiter implements RateLimiter {
    final int cap;
    final AtomicInteger inUse = new AtomicInteger();
    final AtomicInteger released = new AtomicInteger();

    CountingLimiter(int cap) {
      this.cap = cap;
    }

    @Override
    public CompletionStage<io.lb4j.api.Decision> acquire(ClientIdentity identity, String upstream) {
      if (inUse.incrementAndGet() > cap) {
        inUse.decrementAndGet();
        return CompletableFuture.completedStage(Decision.rateLimited("over the cap", Duration.ofSeconds(1)));
      }
      return ADMITTED;
    }

    @Override
    public void release(ClientIdentity identity, String upstream) {
      released.incrementAndGet();
      inUse.decrementAndGet();
    }
  }
}
