package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.ocsp.OcspIndex;
import io.lb4j.testkit.ocsp.OpenSslOcspResponder;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls.ocsp} in a served configuration, against OpenSSL's responder: a client whose
 * certificate is good reaches its host, one whose certificate is revoked is refused with one
 * access-log line, and the lookups show in the metrics by outcome.
 */
@Timeout(60)
class OcspEndToEndTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture access;

  @AfterEach
  void stop() throws Exception {
    f.close();
    access.close();
  }

  @Test
  void revokedClientIsRefusedAndLookupsAreCountedByOutcome() throws Exception {
    f = new ServerFixture(dir);
    access = new LogCapture(ConnectionLog.LOGGER);
    OpenSslOcspResponder responder = f.track(OpenSslOcspResponder.builder(dir.resolve("ocsp"), f.pki)
        .index(new OcspIndex().valid(f.alice.certificate())
            .revoked(f.mallory.certificate(), Instant.now()))
        .start());
    EchoUpstream host = f.echo();
    LbServer server = f.start(ServerFixture.tlsSection() + """
          ocsp:
            mode: hard
            responderOverride: %s
            timeout: 5s
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice, mallory]
        admin:
          listen: 127.0.0.1:0
        """.formatted(responder.url(), ServerFixture.hostList(List.of(host))));

    try (SSLSocket alice = f.connect(server, "echo", f.alice)) {
      assertThat(TlsClient.roundTrip(alice, "hi\n")).isEqualTo("hi\n");
    }
    assertThat(TlsClient.closedWithoutAnswer(f.connect(server, "echo", f.mallory))).isTrue();

    await().until(() -> access.messages().size() == 2);
    assertThat(access.messages()).filteredOn(line -> line.contains("close=refused"))
        .singleElement().asString()
        .contains("refusal=tls_failed")
        .contains("certificate revoked (OCSP): serial "
            + f.mallory.certificate().getSerialNumber().toString(16));
    String metrics = ServerFixture.get(server.adminAddress(), "/metrics");
    assertThat(Metrics.value(metrics, "lb4j_tls_ocsp_lookups_total", "outcome=\"good\""))
        .isEqualTo(1.0);
    assertThat(Metrics.value(metrics, "lb4j_tls_ocsp_lookups_total", "outcome=\"revoked\""))
        .isEqualTo(1.0);
    assertThat(Metrics.value(metrics, "lb4j_tls_ocsp_lookups_total", "outcome=\"timeout\""))
        .isEqualTo(0.0);
    assertThat(host.acceptedConnections()).isEqualTo(1);
  }
}
