package io.lb4j.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
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
    Duration warmup = Duration.ofMillis(300);
    Duration duration = Duration.ofSeconds(1);
    Run run = Run.named("paced-tls13", warmup, duration, Duration.ZERO, RATE);

    Measurement m;
    try (Lb4jUnderTest lb4j = new Lb4jUnderTest(dir)) {
      m = run.execute(lb4j.client(), lb4j.address(), TargetProcess.self());
      // Every handshake reached the host: its 32 bytes came back.
      assertThat(lb4j.echo().bytesEchoed()).isPositive()
          .isEqualTo(32L * lb4j.echo().acceptedConnections());
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
