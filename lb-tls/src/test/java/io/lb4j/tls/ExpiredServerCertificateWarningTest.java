package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.time.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warning about an expired server certificate reads the factory's clock, not the system's. */
class ExpiredServerCertificateWarningTest {

  private static final TestPki PKI = TestPki.create();
  private static final String EXPIRED = "expired at";

  @TempDir Path dir;

  @Test
  void warnsAtLoadWhenTheClockIsPastTheServerCertificatesNotAfter() {
    IssuedCertificate server = PKI.server();
    TlsFixture files = TlsFixture.write(dir, PKI, server);
    ManualClock clock = new ManualClock(notAfterOf(server).plus(Duration.ofDays(1)));

    try (LogCapture log = LogCapture.start();
        PemTlsContextFactory factory = files.factory(TlsEngine.JDK, b -> b.clock(clock))) {
      assertThat(log.lines("WARN", EXPIRED, factory.certificate().getSubjectX500Principal()
          .getName())).isEqualTo(1);
    }
  }

  @Test
  void givesNoWarningWhileTheClockIsBeforeTheNotAfter() {
    IssuedCertificate server = PKI.server();
    TlsFixture files = TlsFixture.write(dir, PKI, server);
    ManualClock clock = new ManualClock(notAfterOf(server).minusSeconds(1));

    try (LogCapture log = LogCapture.start();
        PemTlsContextFactory factory = files.factory(TlsEngine.JDK, b -> b.clock(clock))) {
      assertThat(log.lines(EXPIRED)).isZero();
    }
  }

  @Test
  void warnsAtReloadOnceTheClockHasPassedTheNewCertificatesNotAfter() {
    IssuedCertificate first = PKI.server();
    TlsFixture files = TlsFixture.write(dir, PKI, first);
    ManualClock clock = new ManualClock(notAfterOf(first).minusSeconds(1));

    try (PemTlsContextFactory factory = files.factory(TlsEngine.JDK, b -> b.clock(clock))) {
      IssuedCertificate second = PKI.server();
      TlsFixture.write(dir, PKI, second);
      clock.set(notAfterOf(second).plusSeconds(1));
      try (LogCapture log = LogCapture.start()) {
        assertThat(factory.reload()).isTrue();
        assertThat(log.lines("WARN", EXPIRED)).isEqualTo(1);
      }
    }
  }

  private static Instant notAfterOf(IssuedCertificate certificate) {
    return certificate.certificate().getNotAfter().toInstant();
  }
}
