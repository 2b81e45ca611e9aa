package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalCause;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionLogTest {

  private static ConnectionInfo info(String cn, String upstream, InetSocketAddress client) {
    return new ConnectionInfo(42, client, new InetSocketAddress("127.0.0.1", 9443), upstream,
        new ClientIdentity(cn, List.of(), List.of(), List.of(), "ab", Instant.MAX));
  }

  private static String line(ConnectionEvent e) {
    StringBuilder b = new StringBuilder();
    ConnectionLog.format(e, b);
    return b.toString();
  }

  private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 50000);

  @Test
  void forwardedConnectionNamesEverythingItDid() {
    ConnectionEvent e = new ConnectionEvent(info("alice", "echo", CLIENT), Host.parse("10.0.0.1:7001"),
        100, 2000, Duration.ofMillis(1234), Duration.ofMillis(12), CloseReason.UPSTREAM_CLOSED,
        null, null);

    assertThat(line(e)).isEqualTo("conn=42 client=127.0.0.1:50000 identity=alice upstream=echo"
        + " host=10.0.0.1:7001 from_client=100 to_client=2000 duration_ms=1234 handshake_ms=12"
        + " close=upstream_closed");
  }

  @Test
  void discoveredHostIsNamedByTheDnsNameItCameFrom() {
    ConnectionEvent e = new ConnectionEvent(info("alice", "api", CLIENT), Host.parse("10.0.0.7:8443"),
        6, 6, Duration.ofMillis(40), Duration.ofMillis(11), CloseReason.CLIENT_CLOSED, null, null);
    StringBuilder b = new StringBuilder();

    ConnectionLog.format(e, "api-1.example", b);

    assertThat(b.toString()).contains(" host=10.0.0.7:8443 host_name=api-1.example from_client=6 ");
  }

  @Test
  void refusalCarriesReasonQuotedDetailAndRetryAfter() {
    ConnectionEvent e = new ConnectionEvent(info("bob", "api", CLIENT), null, 0, 0,
        Duration.ofMillis(3), Duration.ofMillis(2), CloseReason.REFUSED,
        Decision.rateLimited("rate limit 5/s burst 10 exceeded", Duration.ofMillis(200)), null);

    assertThat(line(e)).endsWith("host=- from_client=0 to_client=0 duration_ms=3 handshake_ms=2"
        + " close=refused refusal=rate_limited detail=\"rate limit 5/s burst 10 exceeded\""
        + " retry_after_ms=200");
  }

  @Test
  void refusalForARevokedCertificateCarriesItsCause() {
    ConnectionEvent e = new ConnectionEvent(info("", "", CLIENT), null, 0, 0,
        Duration.ofMillis(3), Duration.ofMillis(2), CloseReason.REFUSED,
        new Refuse(RefusalReason.TLS_FAILED, "handshake failed: certificate revoked: serial 1f",
            Duration.ZERO, RefusalCause.REVOKED), null);

    assertThat(line(e)).endsWith(" close=refused refusal=tls_failed cause=revoked"
        + " detail=\"handshake failed: certificate revoked: serial 1f\"");
  }

  @Test
  void connectionClosedForRevocationSaysWhichCertificate() {
    ConnectionEvent e = new ConnectionEvent(info("alice", "echo", CLIENT),
        Host.parse("10.0.0.1:7001"), 5, 5, Duration.ofMillis(30), Duration.ofMillis(2),
        CloseReason.REVOKED, null, new java.security.cert.CertPathValidatorException(
            "certificate revoked: serial 1f issuer CN=ca"));

    assertThat(line(e)).endsWith(
        " close=revoked error=\"certificate revoked: serial 1f issuer CN=ca\"");
  }

  @Test
  void valuesWithSpacesOrQuotesAreQuotedAndEscaped() {
    ConnectionEvent e = new ConnectionEvent(info("Alice \"A\" Smith", "", CLIENT), null, 0, 0,
        Duration.ZERO, Duration.ZERO, CloseReason.REFUSED,
        Decision.refuse(RefusalReason.TLS_FAILED, "bad\nline"), new IOException("reset by peer"));

    assertThat(line(e))
        .contains("identity=\"Alice \\\"A\\\" Smith\" upstream=- ")
        .contains("detail=\"bad\\nline\"")
        .endsWith("error=\"reset by peer\"")
        .doesNotContain("\n");
  }

  @Test
  void anonymousClientIsWrittenAsADash() {
    ConnectionEvent e = new ConnectionEvent(
        new ConnectionInfo(1, CLIENT, CLIENT, "echo", ClientIdentity.ANONYMOUS), null, 0, 0,
        Duration.ZERO, Duration.ZERO, CloseReason.CLIENT_CLOSED, null, null);

    assertThat(line(e)).contains("identity=- upstream=echo");
  }

  @Test
  void ipv6ClientIsBracketed() {
    ConnectionEvent e = new ConnectionEvent(info("alice", "echo", new InetSocketAddress("::1", 5)),
        null, 0, 0, Duration.ZERO, Duration.ZERO, CloseReason.CLIENT_CLOSED, null, null);

    assertThat(line(e)).contains("client=[0:0:0:0:0:0:0:1]:5 ");
  }

  @Test
  void anEmbedderTurnsItOnInOneLineAndSeesEachConnectionAndRefusal() throws Exception {
    try (EchoUpstream host = Upstreams.echo()) {
      Upstream echo = Upstream.builder("echo").hosts(List.of(host.host())).build();
      Upstream empty = Upstream.builder("empty").build();
      LoadBalancer lb = LoadBalancer.builder()
          .upstream(echo, Fixtures.ANY_PORT)
          .upstream(empty, Fixtures.ANY_PORT)
          .listener(new ConnectionLog())
          .build()
          .start();
      try (LogCapture log = LogCapture.start()) {
        try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
          s.getOutputStream().write(new byte[] {1, 2, 3});
          Clients.receive(s.getInputStream(), 3);
        }
        try (Socket s = Clients.connect(lb.boundAddress("empty"))) {
          assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> log.lines(ConnectionLog.LOGGER) >= 2);
        assertThat(log.lines(ConnectionLog.LOGGER, "upstream=echo host=" + host.host(),
            "from_client=3 to_client=3", "close=client_closed")).isEqualTo(1);
        assertThat(log.lines(ConnectionLog.LOGGER, "upstream=empty host=-", "close=refused",
            "refusal=no_host")).isEqualTo(1);
      } finally {
        lb.close();
      }
    }
  }
}
