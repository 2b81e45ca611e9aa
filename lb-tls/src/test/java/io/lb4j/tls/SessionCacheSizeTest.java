package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.pki.TestPki;
import io.netty.handler.ssl.OpenSsl;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionCacheSizeTest {

  private static final TestPki PKI = TestPki.create();

  @TempDir Path dir;

  @Test
  void boringSslKeepsABoundedNumberOfSessions() {
    Peers.assumeAvailable(OpenSsl.isAvailable(), "BoringSSL (netty-tcnative)",
        () -> "the OPENSSL engine's session cache lives in BoringSSL");
    TlsFixture files = TlsFixture.write(dir, PKI, PKI.server());
    try (PemTlsContextFactory factory = files.factory(TlsEngine.OPENSSL)) {
      SSLEngine ssl = factory.newEngine();
      try {
        // Read back from the engine's context (for BoringSSL, from the native SSL_CTX).
        assertThat(ssl.getSession().getSessionContext().getSessionCacheSize())
            .isEqualTo(TlsPolicy.SESSION_CACHE_SIZE);
      } finally {
        ReferenceCountUtil.release(ssl);
      }
    }
  }
}
