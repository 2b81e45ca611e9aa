package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.discovery.DnsDiscovery;
import io.lb4j.reliability.Crowd.Streamed;
import io.lb4j.testkit.dns.Dnsmasq;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts that churn through DNS while mutual-TLS clients stream through lb4j: a real DNS server
 * (dnsmasq, TTL 1 s) moves the upstream's A records across four hosts every few seconds, so every
 * host leaves and comes back while it has connections. Removed hosts drain: no client loses its
 * stream, whichever host it is on, and connections opened during the churn are all served.
 */
@ExtendWith(NettyLeakDetector.class)
class DnsChurnIT {

  private static final String NAME = "api." + Dnsmasq.DOMAIN;
  private static final int CHUNK = 16 * 1024;
  private static final Duration CLIENT_READ_TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension final Closer closer = new Closer();
  private final Events events = new Events();

  private static String ip(int i) {
    return "127.0.0." + (i + 1);
  }

  private static Set<Host> serving(LoadBalancer lb) {
    return lb.hostStatus("api").stream()
        .filter(s -> !s.draining())
        .map(HostStatus::host)
        .collect(Collectors.toSet());
  }

  @Test
  void streamsSurviveHostsThatLeaveAndReturnThroughDns(@TempDir Path dir) throws Exception {
    EchoUpstream[] hosts = new EchoUpstream[4];
    hosts[0] = closer.track(Upstreams.echo());
    for (int i = 1; i < hosts.length; i++) {
      hosts[i] = closer.track(Upstreams.echoOn(InetAddress.getByName(ip(i)), hosts[0].port()));
    }
    Dnsmasq.Zone zone = new Dnsmasq.Zone().ttl(1).address(NAME, ip(0), ip(1));
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    MutualTls mtls = new MutualTls(dir);
    PemTlsContextFactory factory = closer.track(mtls.factory(TlsEngine.AUTO));
    Upstream upstream = Upstream.builder("api")
        .discover(DnsDiscovery.addresses(Host.of(NAME, hosts[0].port()))
            .resolvers(List.of(dns.address()))
            .minRefresh(Duration.ofMillis(200))
            .maxRefresh(Duration.ofSeconds(2))
            .build())
        .idleTimeout(Duration.ofMinutes(2))
        .build();
    LoadBalancer lb = closer.track(LoadBalancer.builder()
        .upstream(upstream, new InetSocketAddress("127.0.0.1", 0))
        .tls(factory)
        .listener(events)
        .build()
        .start());
    await().until(() -> serving(lb).size() == 2);
    InetSocketAddress address = lb.boundAddress("api");
    int clients = Scale.of(20, 200);
    int steps = Scale.of(6, 30);
    Crowd.Connector connector = () -> MutualTls.open(mtls.trusted(), address, CLIENT_READ_TIMEOUT);

    List<Streamed> results;
    int fresh = 0;
    int drained = 0;
    try (Crowd crowd = Crowd.start(clients, connector, 1L << 40, CHUNK)) {
      crowd.awaitEstablished().release();
      for (int step = 1; step <= steps; step++) {
        // Each step swaps one host out and the next one in: {0,1} -> {1,2} -> {2,3} -> {3,0} ...
        String[] next = {ip(step % 4), ip((step + 1) % 4)};
        dns.update(zone.address(NAME, next));
        Set<Host> wanted = Set.of(Host.of(next[0], hosts[0].port()), Host.of(next[1], hosts[0].port()));
        await().atMost(Duration.ofSeconds(20)).until(() -> serving(lb).equals(wanted));
        drained += (int) lb.hostStatus("api").stream().filter(HostStatus::draining).count();
        // A new connection during the churn goes to a host DNS has now, and is served.
        try (SSLSocket s = MutualTls.open(mtls.trusted(), address, CLIENT_READ_TIMEOUT)) {
          s.getOutputStream().write(new byte[] {1, 2, 3});
          assertThat(s.getInputStream().readNBytes(3)).containsExactly(1, 2, 3);
          fresh++;
        }
      }
      crowd.stopStreaming();
      results = crowd.results(Scale.time(Duration.ofMinutes(2)));
    }

    assertThat(results).hasSize(clients)
        .allSatisfy(s -> assertThat(s.result().outcome()).as("%s", s).isEqualTo(Outcome.COMPLETED));
    assertThat(drained).as("hosts seen draining with connections after a step").isPositive();
    assertThat(fresh).isEqualTo(steps);
    assertThat(events.refusals).isEmpty();
    long bytes = results.stream().mapToLong(s -> s.result().bytesVerified()).sum();
    Figures.record("hosts churning through DNS under streaming mTLS clients",
        "%d clients streamed %s in all while dnsmasq (TTL 1 s) moved the A records %d times across"
            + " 4 hosts; every stream completed, %d new connections during the churn were served",
        clients, Figures.mib(bytes), steps, fresh);
    await().until(() -> lb.hostStatus("api").stream().noneMatch(HostStatus::draining));
    Quiet.assertNothingHeld(lb, "api");
  }
}
