package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.dns.Dnsmasq;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hosts given by name are resolved by a real DNS server that lb4j did not write (dnsmasq, on a
 * loopback port), without blocking an event loop: BlockHound watches every test here, and the
 * JDK's blocking lookup counts as blocking.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class HostNameResolutionTest {

  private static final String NAME = "echo." + Dnsmasq.DOMAIN;
  private static final String UNKNOWN = "missing." + Dnsmasq.DOMAIN;

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  private LoadBalancer start(Dnsmasq dns, Upstream upstream) {
    return closer.track(
        LoadBalancer.builder()
            .upstream(upstream, Fixtures.ANY_PORT)
            .listener(events)
            .nameServers(List.of(dns.address()))
            .dnsQueryTimeout(Duration.ofSeconds(1))
            .build()
            .start());
  }

  private static void echoOnce(InetSocketAddress address) throws Exception {
    try (Socket s = Clients.connect(address)) {
      s.getOutputStream().write(new byte[] {1, 2, 3});
      Clients.receive(s.getInputStream(), 3);
    }
  }

  private static boolean isUp(LoadBalancer lb, String upstream, Host host) {
    return lb.hostStatus(upstream).stream().anyMatch(s -> s.host().equals(host) && s.up());
  }

  @Test
  void hostGivenByNameIsReached() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.answering(NAME, 0));
    EchoUpstream echo = closer.track(Upstreams.echo());
    Host byName = Host.of(NAME, echo.host().port());
    LoadBalancer lb = start(dns, Fixtures.upstream("echo", List.of(byName)).build());

    echoOnce(lb.boundAddress("echo"));

    assertThat(events.refusals).isEmpty();
    assertThat(events.connected).containsExactly(byName);
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void nameThatDoesNotResolveFailsThatHostAndTheNextIsTried() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.answering(NAME, 0));
    EchoUpstream echo = closer.track(Upstreams.echo());
    Host unknown = Host.of(UNKNOWN, echo.host().port());
    Upstream upstream =
        Fixtures.upstream("echo", List.of(unknown, echo.host()))
            .passiveDownTime(Duration.ofMinutes(10))
            .build();
    LoadBalancer lb = start(dns, upstream);

    for (int i = 0; i < 4; i++) {
      echoOnce(lb.boundAddress("echo"));
    }

    assertThat(events.refusals).isEmpty();
    assertThat(events.connected).containsOnly(echo.host()).hasSize(4);
    assertThat(isUp(lb, "echo", unknown)).as("passively marked down").isFalse();
  }

  @Test
  void refusalSaysWhichNameDidNotResolveAndWhy() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.answering(NAME, 0));
    Host unknown = Host.of(UNKNOWN, 7);
    LoadBalancer lb = start(dns, Fixtures.upstream("dead", List.of(unknown)).build());

    try (Socket s = Clients.connect(lb.boundAddress("dead"))) {
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }

    await().until(() -> events.closed.size() == 1);
    Refuse refusal = events.closed.peek().refusalIfAny().orElseThrow();
    assertThat(refusal.reason()).isEqualTo(RefusalReason.NO_HOST);
    assertThat(refusal.detail()).endsWith(unknown + ": unknown host " + UNKNOWN + ": NXDOMAIN");
  }

  @Test
  void answerIsCachedForItsTtl() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.answering(NAME, 3600));
    EchoUpstream echo = closer.track(Upstreams.echo());
    Host byName = Host.of(NAME, echo.host().port());
    LoadBalancer lb = start(dns, Fixtures.upstream("echo", List.of(byName)).build());
    echoOnce(lb.boundAddress("echo"));

    dns.stop();
    // Two more, so at least one runs on another event loop than the first: the cache is shared.
    echoOnce(lb.boundAddress("echo"));
    echoOnce(lb.boundAddress("echo"));

    assertThat(events.refusals).isEmpty();
    assertThat(echo.acceptedConnections()).isEqualTo(3);
  }

  @Test
  void healthChecksResolveNamesAndTakeDownOneThatDoesNotResolve() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.answering(NAME, 0));
    EchoUpstream echo = closer.track(Upstreams.echo());
    Host byName = Host.of(NAME, echo.host().port());
    Host unknown = Host.of(UNKNOWN, echo.host().port());
    Upstream upstream =
        Fixtures.upstream("echo", List.of(byName, unknown))
            .healthCheck(HealthCheck.of(Duration.ofMillis(100), Duration.ofMillis(500), 1, 1))
            .build();
    LoadBalancer lb = start(dns, upstream);

    await().until(() -> !isUp(lb, "echo", unknown));
    await().until(() -> echo.acceptedConnections() >= 2);
    assertThat(isUp(lb, "echo", byName)).isTrue();
  }
}
