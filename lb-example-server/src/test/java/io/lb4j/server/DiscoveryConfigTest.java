package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.impl.discovery.DnsDiscovery;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code discover:} in an upstream: read into the library's DnsDiscovery, errors name the field. */
class DiscoveryConfigTest {

  @TempDir Path dir;

  private ServerConfig.UpstreamConfig upstream(String discover) {
    String yaml = """
        upstreams:
          - name: api
            listen: 127.0.0.1:0
        """ + discover.indent(4);
    return ConfigReader.parse(yaml.getBytes(StandardCharsets.UTF_8), dir.resolve("lb.yaml"), "lb.yaml")
        .upstreams().get(0);
  }

  private void rejected(String discover, String message) {
    assertThatThrownBy(() -> upstream(discover)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void readsSrvDiscoveryWithEverySetting() {
    ServerConfig.UpstreamConfig u = upstream("""
        discover:
          srv: _https._tcp.api.default.svc.cluster.local
          minRefresh: 2s
          maxRefresh: 30s
          queryTimeout: 500ms
          resolvers: [10.96.0.10:53, "[fd00::10]:5353"]
        """);

    assertThat(u.hosts()).isEmpty();
    assertThat(u.discover())
        .isEqualTo(DnsDiscovery.srv("_https._tcp.api.default.svc.cluster.local")
            .minRefresh(Duration.ofSeconds(2))
            .maxRefresh(Duration.ofSeconds(30))
            .queryTimeout(Duration.ofMillis(500))
            .resolvers(List.of(new InetSocketAddress("10.96.0.10", 53), new InetSocketAddress("fd00::10", 5353)))
            .build());
    assertThat(u.toUpstream(null).hostSource()).contains(u.discover());
  }

  @Test
  void readsAddressDiscoveryWithAFixedRefresh() {
    ServerConfig.UpstreamConfig u = upstream("""
        discover: {dns: "cache.internal:6379", refresh: 10s}
        """);

    assertThat(u.discover()).hasToString("dns cache.internal:6379");
    assertThat(u.discover().refresh()).contains(Duration.ofSeconds(10));
    assertThat(u.discover().resolvers()).isEmpty();
  }

  @Test
  void hostsAndDiscoverTogetherAreAnError() {
    rejected("""
        hosts: [127.0.0.1:7001]
        discover: {srv: _api._tcp.example}
        """, "lb.yaml: upstreams[0].discover: cannot be given together with hosts: the hosts are"
            + " either listed or discovered");
  }

  @Test
  void neitherHostsNorDiscoverIsAnError() {
    rejected("strategy: round-robin\n", "lb.yaml: upstreams[0].hosts: is required");
  }

  @Test
  void discoverNeedsExactlyOneOfDnsAndSrv() {
    rejected("discover: {refresh: 5s}\n",
        "lb.yaml: upstreams[0].discover: needs dns (name:port, for A/AAAA records) or srv (a name, for SRV records)");
    rejected("discover: {dns: \"a.example:80\", srv: _a._tcp.example}\n",
        "lb.yaml: upstreams[0].discover.srv: cannot be given together with dns: A/AAAA records at a port,"
            + " or SRV records, not both");
  }

  @Test
  void dnsNeedsANameAndAPort() {
    rejected("discover: {dns: cache.internal}\n",
        "lb.yaml: upstreams[0].discover.dns: address must be host:port but was 'cache.internal'");
    rejected("discover: {dns: \"10.0.0.1:80\"}\n",
        "lb.yaml: upstreams[0].discover.dns: dns must be a DNS name with a port but was the IP address 10.0.0.1:80");
  }

  @Test
  void resolversMustBeIpAddressesWithAPort() {
    rejected("discover: {srv: _a._tcp.example, resolvers: [\"dns.internal:53\"]}\n",
        "lb.yaml: upstreams[0].discover.resolvers[0]: must be an IP address with a port, as 10.0.0.2:53,"
            + " but was 'dns.internal:53'");
    rejected("discover: {srv: _a._tcp.example, resolvers: [10.0.0.2]}\n",
        "lb.yaml: upstreams[0].discover.resolvers[0]: address must be host:port but was '10.0.0.2'");
    rejected("discover: {srv: _a._tcp.example, resolvers: []}\n",
        "lb.yaml: upstreams[0].discover.resolvers: must not be empty");
  }

  @Test
  void refreshSettingsMustBePositiveAndInOrder() {
    rejected("discover: {srv: _a._tcp.example, refresh: 0s}\n",
        "lb.yaml: upstreams[0].discover.refresh: must be more than 0 but was '0s'");
    rejected("discover: {srv: _a._tcp.example, minRefresh: 2m, maxRefresh: 1m}\n",
        "lb.yaml: upstreams[0].discover.maxRefresh: must not be shorter than minRefresh (PT2M) but was PT1M");
  }
}
