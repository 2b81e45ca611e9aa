package io.lb4j.micrometer;

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
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionMetricsTest {

  private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 50000);
  private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

  private final MeterRegistry registry = new SimpleMeterRegistry();

  private static ConnectionEvent closed(String upstream, Refuse refusal, Duration handshake) {
    return new ConnectionEvent(
        new ConnectionInfo(1, CLIENT, CLIENT, upstream, ClientIdentity.ANONYMOUS),
        refusal == null ? Host.parse("10.0.0.1:7001") : null, 10, 20, Duration.ofMillis(50),
        handshake, refusal == null ? CloseReason.CLIENT_CLOSED : CloseReason.REFUSED, refusal,
        null);
  }

  private double connections(String upstream, String outcome, String cause) {
    Counter c = registry.find("lb4j.connections")
        .tags("upstream", upstream, "outcome", outcome, "cause", cause).counter();
    return c == null ? -1 : c.count();
  }

  @Test
  void anEmbedderTurnsItOnInOneLineAndCountsEachConnectionAndRefusal() throws Exception {
    try (EchoUpstream host = Upstreams.echo()) {
      LoadBalancer lb = LoadBalancer.builder()
          .upstream(Upstream.builder("echo").hosts(List.of(host.host())).build(), ANY_PORT)
          .upstream(Upstream.builder("empty").build(), ANY_PORT)
          .listener(new ConnectionMetrics(registry, List.of("echo", "empty")))
          .build()
          .start();
      try {
        try (Socket s = connect(lb.boundAddress("echo"))) {
          s.getOutputStream().write(new byte[] {1, 2, 3});
          InputStream in = s.getInputStream();
          for (int i = 0; i < 3; i++) {
            assertThat(in.read()).isNotEqualTo(-1);
          }
        }
        try (Socket s = connect(lb.boundAddress("empty"))) {
          assertThat(s.getInputStream().read()).isEqualTo(-1);
        }

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
          assertThat(connections("echo", "forwarded", "")).isEqualTo(1);
          assertThat(connections("empty", "no_host", "")).isEqualTo(1);
        });
        assertThat(registry.get("lb4j.traffic").tags("upstream", "echo", "direction", "from_client")
            .counter().count()).isEqualTo(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("lb4j.traffic")
            .tags("upstream", "echo", "direction", "to_client").counter().count() == 3);
        assertThat(registry.get("lb4j.connections.closed")
            .tags("upstream", "empty", "reason", "refused").counter().count()).isEqualTo(1);
        assertThat(registry.get("lb4j.connection.duration").tags("upstream", "echo").timer().count())
            .isEqualTo(1);
        assertThat(connections("echo", "no_host", "")).isZero();
      } finally {
        lb.close();
      }
    }
  }

  @Test
  void everyMeterOfTheNamedUpstreamsAndOfUnroutedExistsBeforeTheFirstConnection() {
    new ConnectionMetrics(registry, List.of("api"));

    assertThat(connections("api", "forwarded", "")).isZero();
    assertThat(connections("", "no_route", "")).isZero();
    assertThat(connections("api", "tls_failed", "revoked")).isZero();
    assertThat(registry.find("lb4j.connections.closed").tags("upstream", "api").counters())
        .hasSize(CloseReason.values().length);
    assertThat(registry.find("lb4j.tls.handshake").tags("upstream", "").timer()).isNotNull();
    assertThat(registry.find("lb4j.connections").tags("upstream", ConnectionMetrics.OTHER_UPSTREAM)
        .counters()).isEmpty();
  }

  @Test
  void unknownUpstreamsShareOneFixedTagSoTheSeriesStayBounded() {
    ConnectionMetrics metrics = new ConnectionMetrics(registry, List.of("api"));
    metrics.onClosed(closed("first-unknown", null, Duration.ZERO));
    int meters = registry.getMeters().size();

    for (int i = 0; i < 100; i++) {
      metrics.onClosed(closed("unknown-" + i, null, Duration.ZERO));
    }

    assertThat(registry.getMeters()).hasSize(meters);
    assertThat(connections(ConnectionMetrics.OTHER_UPSTREAM, "forwarded", "")).isEqualTo(101);
    assertThat(registry.find("lb4j.connections").tag("upstream", "unknown-7").counters()).isEmpty();
    assertThat(connections("api", "forwarded", "")).isZero();
  }

  @Test
  void tlsRefusalIsCountedUnderItsCauseAndItsHandshakeIsNotTimed() {
    ConnectionMetrics metrics = new ConnectionMetrics(registry, List.of("api"));

    metrics.onClosed(closed("", new Refuse(RefusalReason.TLS_FAILED, "certificate revoked",
        Duration.ZERO, RefusalCause.REVOKED), Duration.ofMillis(4)));
    metrics.onClosed(closed("api", Decision.refuse(RefusalReason.UNAUTHORIZED, "no"),
        Duration.ofMillis(6)));

    assertThat(connections("", "tls_failed", "revoked")).isEqualTo(1);
    assertThat(connections("", "tls_failed", "")).isZero();
    assertThat(connections("api", "unauthorized", "")).isEqualTo(1);
    Timer unrouted = registry.get("lb4j.tls.handshake").tags("upstream", "").timer();
    Timer api = registry.get("lb4j.tls.handshake").tags("upstream", "api").timer();
    assertThat(unrouted.count()).isZero();
    assertThat(api.count()).isEqualTo(1);
    assertThat(api.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(6);
  }

  private static Socket connect(InetSocketAddress address) throws Exception {
    Socket s = new Socket();
    s.connect(address, 5_000);
    s.setSoTimeout(10_000);
    return s;
  }
}
