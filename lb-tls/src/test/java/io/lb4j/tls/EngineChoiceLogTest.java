package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.pki.TestPki;
import io.netty.handler.ssl.OpenSsl;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The line that names the chosen engine gives the versions a user reports a bug against. */
class EngineChoiceLogTest {

  private static final TestPki PKI = TestPki.create();

  @TempDir Path dir;

  @Test
  void namesTheTcnativeAndNettyVersionsThatLoaded() {
    Peers.assumeAvailable(OpenSsl.isAvailable(), "BoringSSL (netty-tcnative)",
        () -> "the OPENSSL engine's line is the one that names netty-tcnative");
    String tcnative = PemTlsContextFactory.Builder.tcnativeVersion();
    assertThat(tcnative).matches("\\d+\\.\\d+\\.\\d+\\.Final");

    TlsFixture files = TlsFixture.write(dir, PKI, PKI.server());
    try (LogCapture log = LogCapture.start();
        PemTlsContextFactory factory = files.factory(TlsEngine.OPENSSL)) {
      assertThat(log.lines("TLS engine OPENSSL", "through netty-tcnative " + tcnative + ", Netty 4."))
          .isEqualTo(1);
      assertThat(log.lines("version unknown")).isZero();
    }
  }
}
