package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A configuration that narrows the policy gets exactly what it asked for, on the wire. */
class NarrowingTest {

  private static TestPki pki;
  private static IssuedCertificate server;
  private static SSLContext alice;

  @TempDir Path dir;

  @BeforeAll
  static void issue() {
    pki = TestPki.create();
    server = pki.server();
    alice = pki.clientContext(pki.client("alice"));
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void narrowedToTls12RefusesATls13OnlyClient(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server)
            .factory(engine, b -> b.protocols(List.of("TLSv1.2")));
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      TlsClient.Result tls13 = TlsClient.exchange(alice, echo.port(), TlsClientSockets::tls13Only);
      echo.nextFailure();
      TlsClient.Result anyVersion = TlsClient.exchange(alice, echo.port());

      assertThat(tls13).isInstanceOfSatisfying(TlsClient.Refused.class, refused ->
          assertThat(refused.cause()).hasMessageContaining("protocol_version"));
      assertThat(anyVersion).isInstanceOfSatisfying(TlsClient.Echoed.class, echoed ->
          assertThat(echoed.protocol()).isEqualTo("TLSv1.2"));
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void narrowedTls12SuitesRefuseTheOthers(TlsEngine engine) {
    // OpenSSL names on purpose; the TLS 1.3 suites stay (BoringSSL cannot narrow them).
    List<String> suites = List.of("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server)
            .factory(engine, b -> b.cipherSuites(suites));
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      TlsClient.Result aes128 = TlsClient.exchange(alice, echo.port(), socket -> {
        TlsClientSockets.tls12Only(socket);
        socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"});
      });
      echo.nextFailure();
      TlsClient.Result tls12 = TlsClient.exchange(alice, echo.port(), TlsClientSockets::tls12Only);

      assertThat(aes128).isInstanceOfSatisfying(TlsClient.Refused.class, refused ->
          assertThat(refused.cause()).hasMessageContaining("handshake_failure"));
      assertThat(tls12).isInstanceOfSatisfying(TlsClient.Echoed.class, echoed ->
          assertThat(echoed.cipherSuite()).isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void enginesEnableExactlyTheNarrowedLists(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server).factory(engine, b -> b
        .protocols(List.of("TLSv1.2"))
        .cipherSuites(List.of("ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305")))) {
      SSLEngine made = factory.newEngine();
      try {
        assertThat(made.getEnabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
            .containsExactly("TLSv1.2");
        assertThat(made.getEnabledCipherSuites()).containsExactlyInAnyOrder(
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
      } finally {
        ReferenceCountUtil.release(made);
      }
    }
  }

  @Test
  void theJdkEngineNarrowsTls13Suites() {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server).factory(TlsEngine.JDK,
            b -> b.cipherSuites(List.of("TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")));
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      TlsClient.Result result = TlsClient.exchange(alice, echo.port(), TlsClientSockets::tls13Only);

      assertThat(result).isInstanceOfSatisfying(TlsClient.Echoed.class, echoed ->
          assertThat(echoed.cipherSuite()).isEqualTo("TLS_CHACHA20_POLY1305_SHA256"));
    }
  }
}
