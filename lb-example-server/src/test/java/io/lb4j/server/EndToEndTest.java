package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A server started from a configuration file, with real clients and hosts on loopback. */
@Timeout(60)
class EndToEndTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture access;
  private EchoUpstream host;
  private LbServer server;

  @BeforeEach
  void start() {
    f = new ServerFixture(dir);
    access = new LogCapture(ConnectionLog.LOGGER);
    host = f.echo();
    server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice, "group:ops"]
        admin:
          listen: 127.0.0.1:0
        """.formatted(ServerFixture.hostList(List.of(host))));
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
  void allowedClientReachesTheUpstreamAndItsBytesComeBack() {
    SSLSocket alice = f.connect(server, "echo", f.alice);

    assertThat(TlsClient.roundTrip(alice, "hello from alice\n")).isEqualTo("hello from alice\n");
    assertThat(host.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void clientNotOnTheAllowListIsRefusedAndNothingReachesTheUpstream() {
    SSLSocket mallory = f.connect(server, "echo", f.mallory);

    assertThat(TlsClient.closedWithoutAnswer(mallory)).isTrue();
    await().until(() -> access.messages().size() == 1);
    assertThat(host.acceptedConnections()).isZero();
    assertThat(Metrics.value(metrics(), "lb4j_connections_total",
        "outcome=\"unauthorized\"", "upstream=\"echo\"")).isEqualTo(1.0);
    assertThat(Metrics.value(metrics(), "lb4j_connections_total",
        "outcome=\"forwarded\"", "upstream=\"echo\"")).isEqualTo(0.0);
    assertThat(access.messages().get(0))
        .contains("identity=mallory upstream=echo host=- from_client=0 to_client=0")
        .contains("close=refused refusal=unauthorized detail=\"mallory may not reach echo (allowed: alice, group:ops)\"");
    assertThat(access.events().get(0).getLevel().toString()).isEqualTo("INFO");
  }

  @Test
  void clientInAnAllowedGroupIsAdmitted() {
    SSLSocket carol = f.connect(server.loadBalancer().boundAddress("echo"),
        f.pki.client(ClientSpec.commonName("carol").groups("ops").build()), null);

    assertThat(TlsClient.roundTrip(carol, "ops\n")).isEqualTo("ops\n");
  }

  @Test
  void clientOfAnotherCaIsCountedAsTlsFailed() {
    InetSocketAddress address = server.loadBalancer().boundAddress("echo");
    TestPki other = TestPki.create();
    try {
      SSLSocket stranger = f.track(TlsClient.connect(address,
          other.clientContext(other.client("alice")), null));
      TlsClient.closedWithoutAnswer(stranger);
    } catch (RuntimeException handshakeRefused) {
      // TLS 1.2 clients hear of it during the handshake, TLS 1.3 clients right after it.
    }

    await().until(() -> access.messages().size() == 1);
    assertThat(access.messages().get(0)).contains("close=refused refusal=tls_failed");
    assertThat(Metrics.value(metrics(), "lb4j_connections_total",
        "outcome=\"tls_failed\"", "cause=\"\"", "upstream=\"echo\"")).isEqualTo(1.0);
    assertThat(host.acceptedConnections()).isZero();
  }

  @Test
  void accessLogLineNamesIdentityUpstreamHostBytesDurationAndCloseReason() throws Exception {
    SSLSocket alice = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(alice, "12345");
    alice.close();

    await().until(() -> access.messages().size() == 1);
    assertThat(access.messages().get(0))
        .matches("conn=\\d+ client=127\\.0\\.0\\.1:\\d+ identity=alice upstream=echo host="
            + host.host() + " from_client=5 to_client=5 duration_ms=\\d+ handshake_ms=\\d+"
            + " close=(client_closed|client_error|upstream_closed)");
  }

  @Test
  void metricsCountBytesEachWayAndShowConnectionsAndHealthPerHost() throws Exception {
    SSLSocket alice = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(alice, "0123456789");

    String open = metrics();
    assertThat(Metrics.value(open, "lb4j_host_connections",
        "host=\"" + host.host() + "\"", "upstream=\"echo\"")).isEqualTo(1.0);
    assertThat(Metrics.value(open, "lb4j_host_up", "host=\"" + host.host() + "\"")).isEqualTo(1.0);
    assertThat(Metrics.value(open, "lb4j_connections_open")).isEqualTo(1.0);

    alice.close();
    await().until(() -> access.messages().size() == 1);
    String closed = metrics();
    assertThat(Metrics.value(closed, "lb4j_traffic_bytes_total",
        "direction=\"from_client\"", "upstream=\"echo\"")).isEqualTo(10.0);
    assertThat(Metrics.value(closed, "lb4j_traffic_bytes_total",
        "direction=\"to_client\"", "upstream=\"echo\"")).isEqualTo(10.0);
    assertThat(Metrics.value(closed, "lb4j_connections_total",
        "outcome=\"forwarded\"", "upstream=\"echo\"")).isEqualTo(1.0);
    assertThat(Metrics.value(closed, "lb4j_tls_handshake_seconds_count", "upstream=\"echo\""))
        .isEqualTo(1.0);
    assertThat(Metrics.value(closed, "lb4j_host_connections", "host=\"" + host.host() + "\""))
        .isEqualTo(0.0);
  }

  @Test
  void everyRefusalReasonHasItsOwnOutcomeFromTheStart() {
    String text = metrics();

    for (String outcome : List.of("forwarded", "abandoned", "tls_failed", "unauthorized",
        "rate_limited", "limiter_unavailable", "no_host", "no_route", "shutting_down")) {
      assertThat(Metrics.value(text, "lb4j_connections_total",
          "outcome=\"" + outcome + "\"", "upstream=\"echo\"")).as(outcome).isEqualTo(0.0);
    }
  }

  @Test
  void healthzAnswersOkWhileServingAndUnknownPathsAreNotFound() {
    assertThat(ServerFixture.get(server.adminAddress(), "/healthz")).isEqualTo("200 ok\n");
    assertThat(ServerFixture.get(server.adminAddress(), "/nothing")).startsWith("404 ");
  }

  @Test
  void afterCloseTheAdminListenerNoLongerAnswers() {
    InetSocketAddress admin = server.adminAddress();

    server.close();

    assertThatThrownBy(() -> ServerFixture.get(admin, "/healthz"))
        .isInstanceOf(UncheckedIOException.class);
  }
}
