package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.dns.Dnsmasq;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server whose upstream's hosts come from SRV records of a real DNS server (dnsmasq on a
 * loopback port): the access log and the metrics name each host by address and by the DNS name it
 * came from, and count failed lookups by kind while the last hosts keep serving.
 */
@Timeout(60)
class DiscoveryEndToEndTest {

  private static final String SERVICE = "_echo._tcp." + Dnsmasq.DOMAIN;
  private static final String TARGET = "echo-1." + Dnsmasq.DOMAIN;

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture access;
  private EchoUpstream host;
  private Dnsmasq dns;
  private LbServer server;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir);
    access = new LogCapture(io.lb4j.impl.ConnectionLog.LOGGER);
    host = f.echo();
    dns = f.track(Dnsmasq.start(new Dnsmasq.Zone()
        .address(TARGET, "127.0.0.1")
        .srv(SERVICE, TARGET, host.port(), 10, 5)));
    server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            discover:
              srv: %s
              resolvers: ["127.0.0.1:%d"]
              minRefresh: 100ms
              maxRefresh: 200ms
              queryTimeout: 200ms
            allow: [alice]
        admin:
          listen: 127.0.0.1:0
        """.formatted(SERVICE, dns.address().getPort()));
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
    access.close();
  }

  private String metrics() {
    String response = ServerFixture.get(server.adminAddress(), "/metrics");
    assertThat(response).startsWith("200 ");
    return response.substring(4);
  }

  @Test
  void theAccessLogNamesADiscoveredHostByAddressAndByDnsName() throws Exception {
    await().until(() -> !server.loadBalancer().hostStatus("echo").isEmpty());

    SSLSocket alice = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(alice, "hello\n")).isEqualTo("hello\n");
    alice.close();

    await().until(() -> !access.messages().isEmpty());
    assertThat(access.messages().get(0))
        .contains(" host=" + host.host() + " host_name=" + TARGET + " ");
  }

  @Test
  void metricsShowTheSetsAgeItsHostsByNameAndFailuresByKind() throws Exception {
    await().until(() -> !server.loadBalancer().hostStatus("echo").isEmpty());
    String text = metrics();
    assertThat(Metrics.value(text, "lb4j_host_discovered",
        "upstream=\"echo\"", "host=\"" + host.host() + "\"", "name=\"" + TARGET + "\"")).isEqualTo(1);
    assertThat(Metrics.value(text, "lb4j_discovery_hosts", "upstream=\"echo\"")).isEqualTo(1);
    assertThat(Metrics.value(text, "lb4j_discovery_set_age_seconds", "upstream=\"echo\"")).isBetween(0.0, 60.0);

    dns.stop();

    await().until(() -> Metrics.value(metrics(), "lb4j_discovery_failures_total",
        "upstream=\"echo\"", "kind=\"timeout\"") >= 2);
    String during = metrics();
    assertThat(Metrics.value(during, "lb4j_discovery_failures_total", "upstream=\"echo\"", "kind=\"not_found\""))
        .isZero();
    assertThat(Metrics.value(during, "lb4j_discovery_hosts", "upstream=\"echo\"")).isEqualTo(1);
    SSLSocket alice = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(alice, "still here\n")).isEqualTo("still here\n");
  }
}
