package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
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
    MovableClock clock = new MovableClock(notAfterOf(server).plus(Duration.ofDays(1)));

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
    MovableClock clock = new MovableClock(notAfterOf(server).minusSeconds(1));

    try (LogCapture log = LogCapture.start();
        PemTlsContextFactory factory = files.factory(TlsEngine.JDK, b -> b.clock(clock))) {
      assertThat(log.lines(EXPIRED)).isZero();
    }
  }

  @Test
  void warnsAtReloadOnceTheClockHasPassedTheNewCertificatesNotAfter() {
    IssuedCertificate first = PKI.server();
    TlsFixture files = TlsFixture.write(dir, PKI, first);
    MovableClock clock = new MovableClock(notAfterOf(first).minusSeconds(1));

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

  /** A clock that stands still until a test moves it. */
  private static final class MovableClock extends Clock {
    private volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("a test clock has one zone");
    }
  }
}
