package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.RefusalCause;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {

  private final ServerMetrics metrics = new ServerMetrics(List.of("echo"), () -> false);

  private void refused(Refuse refusal) {
    ConnectionInfo info = new ConnectionInfo(1, new InetSocketAddress("127.0.0.1", 50000),
        new InetSocketAddress("127.0.0.1", 9443), "echo", ClientIdentity.ANONYMOUS);
    metrics.onClosed(new ConnectionEvent(info, null, 0, 0, Duration.ofMillis(5),
        Duration.ofMillis(4), CloseReason.REFUSED, refusal, null));
  }

  private double connections(String outcome, String cause) {
    return Metrics.value(metrics.scrape(null), "lb4j_connections_total",
        "upstream=\"echo\"", "outcome=\"" + outcome + "\"", "cause=\"" + cause + "\"");
  }

  @Test
  void revokedClientIsCountedAsTlsFailedUnderItsOwnCause() {
    refused(new Refuse(RefusalReason.TLS_FAILED, "handshake failed: certificate revoked: serial 1f",
        Duration.ZERO, RefusalCause.REVOKED));
    refused(new Refuse(RefusalReason.TLS_FAILED, "handshake failed: revocation list is stale",
        Duration.ZERO, RefusalCause.REVOCATION_UNKNOWN));
    refused(Decision.refuse(RefusalReason.TLS_FAILED, "handshake failed: unknown CA"));

    assertThat(connections("tls_failed", "revoked")).isEqualTo(1.0);
    assertThat(connections("tls_failed", "revocation_unknown")).isEqualTo(1.0);
    assertThat(connections("tls_failed", "")).isEqualTo(1.0);
    assertThat(connections("unauthorized", "")).isZero();
  }

  @Test
  void revokedConnectionIsCountedByItsCloseReason() {
    ConnectionInfo info = new ConnectionInfo(2, new InetSocketAddress("127.0.0.1", 50001),
        new InetSocketAddress("127.0.0.1", 9443), "echo", ClientIdentity.ANONYMOUS);
    metrics.onClosed(new ConnectionEvent(info, null, 10, 10, Duration.ofSeconds(3),
        Duration.ofMillis(4), CloseReason.REVOKED, null, null));

    assertThat(Metrics.value(metrics.scrape(null), "lb4j_connections_closed_total",
        "upstream=\"echo\"", "reason=\"revoked\"")).isEqualTo(1.0);
  }
}
