package io.lb4j.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open-loop handshake measure ({@code paced-tls13}) against lb4j with mutual TLS in front of
 * an echo host: full handshakes started on a schedule, each proved by its echo, and no more of
 * them than the schedule started. No figure of speed is asserted.
 */
class PacedHandshakesTest {

  private static final double RATE = 40;

  @TempDir Path dir;

  @Test
  void pacedHandshakesStartOnTheScheduleAndCompleteAgainstLb4j() throws Exception {
    TestPki pki = TestPki.create("paced test CA");
    Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
    PemFiles server = pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    PemFiles client = pki.client("bench").writePem(dir, "client");
    Duration warmup = Duration.ofMillis(300);
    Duration duration = Duration.ofSeconds(1);
    Run run = Run.named("paced-tls13", warmup, duration, Duration.ZERO, RATE);

    Measurement m;
    try (EchoUpstream echo = Upstreams.echo();
        LoadBalancer lb = LoadBalancer.builder()
            .upstream(Upstream.builder("bench").hosts(List.of(echo.host())).build(),
                new InetSocketAddress("127.0.0.1", 0))
            .tls(PemTlsContextFactory.builder().certificateChain(server.certificate())
                .privateKey(server.privateKey()).clientCa(ca).build())
            .ioThreads(1)
            .drainTimeout(Duration.ofSeconds(1))
            .build()
            .start()) {
      m = run.execute(new Run.Client(client.certificate(), client.privateKey(), ca,
          List.of("X25519", "P-256"), 1), lb.boundAddress("bench"), TargetProcess.self());
      // Every handshake reached the host: its 32 bytes came back.
      assertThat(echo.bytesEchoed()).isPositive().isEqualTo(32L * echo.acceptedConnections());
    }

    assertThat(m.measure()).isEqualTo("paced-tls13");
    assertThat(m.format()).contains("TLSv1.3").contains("started 40 a second");
    assertThat(m.value("offered rate")).isEqualTo(RATE);
    assertThat(m.value("failures")).isZero();
    assertThat(m.value("skipped")).isZero();
    double seconds = m.window().seconds();
    double completed = m.value("handshakes/s") * seconds;
    assertThat(completed).isPositive();
    // An open loop starts no more than its schedule, however fast the target answers; a closed
    // loop would run as many as it could. The window may finish those started in the warm-up.
    double scheduled = RATE * (warmup.toMillis() / 1e3 + seconds);
    assertThat(completed).isLessThanOrEqualTo(scheduled + 1);
    assertThat(m.value("hs time p50")).isPositive();
    assertThat(m.value("hs time p99.9")).isGreaterThanOrEqualTo(m.value("hs time p99"));
    assertThat(m.value("hs time p99")).isGreaterThanOrEqualTo(m.value("hs time p50"));
    assertThat(m.value("target cpu per hs")).isPositive();
  }

  @Test
  void theLoadGeneratorReadsARateAndRejectsABadOne() {
    Run paced = Run.fromOptions("handshakes", Args.parse(new String[] {"--rate", "250"}));
    assertThat(paced.kind()).isEqualTo("paced");
    assertThat(paced.name()).isEqualTo("paced-tls13");
    assertThat(paced.rate()).isEqualTo(250);
    assertThat(Run.fromOptions("handshakes", Args.parse(new String[0])).kind())
        .isEqualTo("handshakes");
    assertThat(Run.named("handshakes-tls12", Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO,
        RATE).rate()).isZero();

    assertThatThrownBy(() -> Run.fromOptions("handshakes", Args.parse(new String[] {"--rate", "0"})))
        .isInstanceOf(Args.UsageException.class).hasMessageContaining("--rate must be above 0");
    assertThatThrownBy(() -> Run.fromOptions("handshakes",
        Args.parse(new String[] {"--rate", "fast"})))
        .isInstanceOf(Args.UsageException.class).hasMessageContaining("--rate must be a number");
    assertThatThrownBy(() -> Run.fromOptions("handshakes",
        Args.parse(new String[] {"--rate", "10", "--resume"})))
        .isInstanceOf(Args.UsageException.class).hasMessageContaining("--resume");
  }
}
