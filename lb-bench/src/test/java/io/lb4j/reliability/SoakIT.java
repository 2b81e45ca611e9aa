package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.RefusalReason;
import io.lb4j.bench.soak.Soak;
import io.lb4j.bench.soak.SoakConfig;
import io.lb4j.bench.soak.SoakReport;
import io.lb4j.testkit.netty.NettyLeakDetector;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The soak command's run, shortened: mixed mTLS traffic with every kind of fault injected on a
 * schedule, judged by its report. Netty's leak detector is this suite's extension here, so the
 * soak does not install its own.
 */
@ExtendWith(NettyLeakDetector.class)
class SoakIT {

  @Test
  void shortSoakWithScheduledFaultsServesIntactStreamsAndEndsAtItsBaseline() throws Exception {
    Duration duration = Duration.ofSeconds(Scale.of(20));
    SoakReport report = Soak.run(SoakConfig.defaults()
        .withDuration(duration)
        .withFaultInterval(Duration.ofMillis(1500))
        .withClients(6)
        .withMaxStreamBytes(512 * 1024)
        .withWatchLeaks(false));
    Figures.record("soak", "%s", report.toText().strip().replace("\n", " | "));

    assertThat(report.errors()).as("errors of the run:\n%s", report.toText()).isEmpty();
    assertThat(report.errorCount()).isZero();
    assertThat(report.streamsCompleted()).as("connections served").isPositive();
    assertThat(report.bytesVerified()).isPositive();
    assertThat(report.bytesVerifiedCompleted())
        .as("bytes verified on completed echo streams, against bytes sent on them")
        .isPositive()
        .isEqualTo(report.bytesSentCompleted());
    assertThat(report.faults().keySet()).as("faults injected").containsExactlyInAnyOrder(
        "STOP_HOST", "RESTART_HOST", "ADD_RESETTING_HOST", "REMOVE_RESETTING_HOST",
        "ADD_HUNG_HOST", "REMOVE_HUNG_HOST", "RELOAD_CERTIFICATE", "HANDSHAKE_FLOOD");
    assertThat(report.refusals().keySet()).containsOnly(RefusalReason.TLS_FAILED);
    assertThat(report.accepted()).isEqualTo(report.closed());
    assertThat(report.openConnectionsAfter()).isZero();
    assertThat(report.activeLeasesAfter()).isZero();
    assertThat(report.after().descriptors())
        .as("descriptors after the run against before")
        .isLessThanOrEqualTo(report.baseline().descriptors());
  }
}
