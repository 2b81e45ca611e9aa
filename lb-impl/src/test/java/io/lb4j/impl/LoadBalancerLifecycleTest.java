package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Starting and closing a load balancer, and what it answers while it drains. */
@Timeout(120)
class LoadBalancerLifecycleTest {

  /** Far longer than any test: a drain that ends does so because its connection closed. */
  private static final Duration LONG_DRAIN = Duration.ofHours(1);

  /** A status read that waited on the drain would wait for an hour; a second is plenty. */
  private static final Duration PROMPT = Duration.ofSeconds(1);

  @RegisterExtension final Closer closer = new Closer();

  private LoadBalancer build(EchoUpstream echo) {
    return LoadBalancer.builder()
        .upstream(Fixtures.upstream("echo", echo).build(), Fixtures.ANY_PORT)
        .drainTimeout(LONG_DRAIN)
        .build();
  }

  @Test
  void statusReadsAnswerAtOnceWhileCloseDrainsOnAnotherThread() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(build(echo).start());
    InetSocketAddress address = lb.boundAddress("echo");
    try (Socket client = Clients.connect(address)) {
      client.getOutputStream().write(new byte[10]);
      Clients.receive(client.getInputStream(), 10);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(lb::close);
      await().untilAsserted(() -> assertThatThrownBy(() -> Clients.connect(address).close()));

      for (int i = 0; i < 20; i++) {
        assertTimeoutPreemptively(PROMPT, () -> {
          assertThat(lb.hostStatus("echo"))
              .extracting(HostStatus::host, HostStatus::activeConnections)
              .containsExactly(tuple(echo.host(), 1));
          assertThat(lb.openConnections()).isEqualTo(1);
          assertThatThrownBy(() -> lb.boundAddress("echo"))
              .isInstanceOf(IllegalStateException.class)
              .hasMessage("load balancer is not running");
        });
      }
      assertThat(closing).isNotDone();

      client.shutdownOutput();
      assertThat(client.getInputStream().read()).isEqualTo(-1);
      closing.get();
    }
    assertThat(lb.openConnections()).isZero();
  }

  @Test
  void secondCloseWaitsUntilTheFirstHasDrained() throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(build(echo).start());
    InetSocketAddress address = lb.boundAddress("echo");
    try (Socket client = Clients.connect(address)) {
      client.getOutputStream().write(new byte[10]);
      Clients.receive(client.getInputStream(), 10);

      CompletableFuture<Void> first = CompletableFuture.runAsync(lb::close);
      await().untilAsserted(() -> assertThatThrownBy(() -> Clients.connect(address).close()));
      CompletableFuture<Void> second = CompletableFuture.runAsync(lb::close);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
          .until(() -> !second.isDone());

      client.close();
      first.get();
      second.get();
    }
    assertThat(lb.openConnections()).isZero();
  }

  @Test
  void startAfterCloseFailsBecauseTheBalancerIsClosed() {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(build(echo));

    lb.close();

    assertThatThrownBy(lb::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer is closed; build a new one");
    assertThatThrownBy(() -> lb.boundAddress("echo"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer is not running");
  }

  @Test
  void startAfterADrainedCloseFailsBecauseTheBalancerIsClosed() {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(build(echo).start());

    lb.close();

    assertThatThrownBy(lb::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer is closed; build a new one");
  }

  @Test
  void secondStartFails() {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(build(echo).start());

    assertThatThrownBy(lb::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer was already started");
  }
}
