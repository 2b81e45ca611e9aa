package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource.Failure;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.discovery.DiscoveryStatus;
import io.lb4j.impl.discovery.DnsDiscovery;
import io.lb4j.testkit.data.TestData;
import io.lb4j.testkit.dns.Dnsmasq;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Upstreams whose hosts come from a real DNS server (dnsmasq on a loopback port) through a
 * running {@link LoadBalancer}: hosts come and go while connections flow, removed hosts drain,
 * a failing DNS never empties an upstream, and an upstream that never had an answer refuses
 * saying why.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class DiscoveredUpstreamTest {

  private static final String NAME = "api." + Dnsmasq.DOMAIN;

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  private LoadBalancer start(DnsDiscovery source) {
    Upstream upstream = Upstream.builder("api").discover(source).build();
    return closer.track(
        LoadBalancer.builder().upstream(upstream, Fixtures.ANY_PORT).listener(events).build().start());
  }

  private static DnsDiscovery.Builder addresses(Dnsmasq dns, int port) {
    return DnsDiscovery.addresses(Host.of(NAME, port))
        .resolvers(List.of(dns.address()))
        .queryTimeout(Duration.ofMillis(300))
        .minRefresh(Duration.ofMillis(100))
        .maxRefresh(Duration.ofMillis(300));
  }

  /** Echo hosts that share one port, on 127.0.0.1, 127.0.0.2, ...: what A records point to. */
  private EchoUpstream[] echoHosts(int count) throws Exception {
    EchoUpstream[] hosts = new EchoUpstream[count];
    hosts[0] = closer.track(Upstreams.echo());
    for (int i = 1; i < count; i++) {
      hosts[i] = closer.track(
          Upstreams.echoOn(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (i + 1)}), hosts[0].port()));
    }
    return hosts;
  }

  private static Set<Host> configured(LoadBalancer lb) {
    return lb.hostStatus("api").stream()
        .filter(s -> !s.draining())
        .map(HostStatus::host)
        .collect(Collectors.toSet());
  }

  private static void echoOnce(InetSocketAddress address) throws Exception {
    try (Socket s = Clients.connect(address)) {
      Clients.echoRoundTrip(s, 100);
    }
  }

  @Test
  void hostsAddedAndRemovedInDnsJoinAndDrainWhileConnectionsFlow() throws Exception {
    EchoUpstream[] echo = echoHosts(3);
    Dnsmasq.Zone zone = new Dnsmasq.Zone().address(NAME, "127.0.0.1", "127.0.0.2");
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    LoadBalancer lb = start(addresses(dns, echo[0].port()).build());
    await().until(() -> configured(lb).equals(Set.of(echo[0].host(), echo[1].host())));
    // One open connection per host, kept across the change.
    Socket first = closer.track(Clients.connect(lb.boundAddress("api")));
    Socket second = closer.track(Clients.connect(lb.boundAddress("api")));
    Clients.echoRoundTrip(first, 1000);
    Clients.echoRoundTrip(second, 1000);
    assertThat(echo[0].openConnections() + echo[1].openConnections()).isEqualTo(2);

    dns.update(zone.address(NAME, "127.0.0.2", "127.0.0.3"));

    await().until(() -> configured(lb).equals(Set.of(echo[1].host(), echo[2].host())));
    // The removed host drains: its connection still carries bytes both ways.
    assertThat(lb.hostStatus("api"))
        .filteredOn(HostStatus::draining)
        .singleElement()
        .satisfies(s -> assertThat(s.host()).isEqualTo(echo[0].host()));
    assertThat(Clients.echoRoundTrip(first, 10_000)).isEqualTo(TestData.checksumOf(10_000));
    assertThat(Clients.echoRoundTrip(second, 10_000)).isEqualTo(TestData.checksumOf(10_000));
    // New connections go to the hosts DNS has now, the added one included.
    for (int i = 0; i < 4; i++) {
      echoOnce(lb.boundAddress("api"));
    }
    assertThat(echo[2].acceptedConnections()).isPositive();
    assertThat(echo[0].acceptedConnections()).isEqualTo(1);
    first.close();
    second.close();
    await().until(() -> lb.hostStatus("api").stream().noneMatch(HostStatus::draining));
    assertThat(events.refusals).isEmpty();
    assertThat(lb.origin("api", echo[2].host())).contains(NAME);
  }

  @Test
  void aStoppedDnsServerKeepsTheLastHostsWarnsOnceAndCountsTimeouts() throws Exception {
    EchoUpstream[] echo = echoHosts(2);
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1", "127.0.0.2")));
    LoadBalancer lb = start(addresses(dns, echo[0].port()).build());
    await().until(() -> configured(lb).size() == 2);

    try (LogCapture log = LogCapture.start()) {
      dns.stop();
      await().until(() -> lb.discoveryStatus("api").orElseThrow().failures(Failure.TIMEOUT) >= 3);

      assertThat(configured(lb)).containsExactlyInAnyOrder(echo[0].host(), echo[1].host());
      echoOnce(lb.boundAddress("api"));
      DiscoveryStatus status = lb.discoveryStatus("api").orElseThrow();
      assertThat(status.hosts()).isEqualTo(2);
      assertThat(status.outage()).hasValueSatisfying(o -> assertThat(o).contains("no answer from"));
      assertThat(status.setAge()).isPresent();
      assertThat(log.lines("WARN", "upstream api keeps its 2 host(s)")).isEqualTo(1);

      dns.restart();
      await().until(() -> lb.discoveryStatus("api").orElseThrow().outage().isEmpty());
      assertThat(log.lines("INFO", "answers again")).isEqualTo(1);
    }
    assertThat(events.refusals).isEmpty();
  }

  @Test
  void aServfailKeepsTheLastHostsAndIsCountedAsAServerFailure() throws Exception {
    EchoUpstream[] echo = echoHosts(1);
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1")));
    LoadBalancer lb = start(addresses(dns, echo[0].port()).build());
    await().until(() -> configured(lb).size() == 1);

    dns.serveFailures();

    await().until(() -> lb.discoveryStatus("api").orElseThrow().failures(Failure.SERVER_FAILURE) > 0);
    assertThat(configured(lb)).containsExactly(echo[0].host());
    echoOnce(lb.boundAddress("api"));
    assertThat(events.refusals).isEmpty();
  }

  @Test
  void anUpstreamWhoseFirstLookupFailsRefusesSayingWhyUntilALookupSucceeds() throws Exception {
    EchoUpstream[] echo = echoHosts(1);
    Dnsmasq.Zone zone = new Dnsmasq.Zone().address("other." + Dnsmasq.DOMAIN, "127.0.0.1");
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    LoadBalancer lb = start(addresses(dns, echo[0].port()).build());
    await().until(() -> lb.discoveryStatus("api").orElseThrow().failures(Failure.NOT_FOUND) > 0);

    try (Socket s = Clients.connect(lb.boundAddress("api"))) {
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    await().until(() -> events.refusals.size() == 1);
    Refuse refusal = events.refusals.peek();
    assertThat(refusal.reason()).isEqualTo(RefusalReason.NO_HOST);
    assertThat(refusal.detail())
        .isEqualTo("no host of upstream api is known: its lookup failed: A " + NAME + ": NXDOMAIN from "
            + Host.of("127.0.0.1", dns.address().getPort()));

    dns.update(zone.address(NAME, "127.0.0.1"));

    await().until(() -> configured(lb).size() == 1);
    echoOnce(lb.boundAddress("api"));
    assertThat(echo[0].acceptedConnections()).isEqualTo(1);
  }

  @Test
  void healthChecksApplyToDiscoveredHosts() throws Exception {
    EchoUpstream[] echo = echoHosts(2);
    echo[1].stop();
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1", "127.0.0.2")));
    Upstream upstream = Upstream.builder("api")
        .discover(addresses(dns, echo[0].port()).build())
        .healthCheck(HealthCheck.of(Duration.ofMillis(100), Duration.ofMillis(500), 1, 1))
        .build();
    LoadBalancer lb = closer.track(
        LoadBalancer.builder().upstream(upstream, Fixtures.ANY_PORT).listener(events).build().start());

    await().until(() -> lb.hostStatus("api").stream()
        .anyMatch(s -> s.host().equals(echo[1].host()) && !s.up()));
    assertThat(lb.hostStatus("api"))
        .filteredOn(s -> s.host().equals(echo[0].host()))
        .singleElement()
        .satisfies(s -> assertThat(s.up()).isTrue());
    for (int i = 0; i < 3; i++) {
      echoOnce(lb.boundAddress("api"));
    }
    assertThat(events.connected).containsOnly(echo[0].host());
  }

  @Test
  void anUpdateWithEqualDiscoverySettingsKeepsTheHostsAndTheWatch() throws Exception {
    EchoUpstream[] echo = echoHosts(1);
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1")));
    LoadBalancer lb = start(addresses(dns, echo[0].port()).build());
    await().until(() -> configured(lb).size() == 1);
    long failuresBefore = lb.discoveryStatus("api").orElseThrow().failures().values().stream().mapToLong(Long::longValue).sum();

    lb.update(Upstream.builder("api")
        .discover(addresses(dns, echo[0].port()).build())
        .connectTimeout(Duration.ofSeconds(1))
        .build());

    // The same hosts at once, with the new settings: no lookup had to run first.
    assertThat(configured(lb)).containsExactly(echo[0].host());
    echoOnce(lb.boundAddress("api"));
    assertThat(lb.discoveryStatus("api").orElseThrow().failures().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(failuresBefore);
  }

  @Test
  void anUpdateToListedHostsStopsDiscovery() throws Exception {
    EchoUpstream[] echo = echoHosts(2);
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1")));
    LoadBalancer lb = start(addresses(dns, echo[0].port()).build());
    await().until(() -> configured(lb).size() == 1);

    lb.update(Upstream.builder("api").hosts(List.of(echo[1].host())).build());

    assertThat(lb.discoveryStatus("api")).isEmpty();
    assertThat(configured(lb)).containsExactly(echo[1].host());
  }
}
