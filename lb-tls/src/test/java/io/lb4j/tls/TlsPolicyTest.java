package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsPolicyTest {

  // Never read: each case fails on the policy before any file is opened.
  private static PemTlsContextFactory.Builder withAbsentFiles() {
    Path nowhere = Path.of("/nonexistent/lb4j");
    return PemTlsContextFactory.builder()
        .certificateChain(nowhere.resolve("chain.pem"))
        .privateKey(nowhere.resolve("key.pem"))
        .clientCa(nowhere.resolve("ca.pem"));
  }

  @Test
  void listsExactlyTheAllowedProtocolsAndSuites() {
    assertThat(TlsPolicy.PROTOCOLS).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(TlsPolicy.TLS_1_3_CIPHER_SUITES).containsExactly(
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");
    assertThat(TlsPolicy.TLS_1_2_CIPHER_SUITES).containsExactly(
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  }

  @Test
  void acceptsOpenSslAndIanaNamesOfTheSameSuite() {
    assertThat(TlsPolicy.ianaName("ECDHE-ECDSA-AES128-GCM-SHA256"))
        .isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assertThat(TlsPolicy.ianaName("ecdhe-rsa-chacha20-poly1305"))
        .isEqualTo("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assertThat(TlsPolicy.ianaName("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"))
        .isEqualTo("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  }

  @Test
  void refusesWideningTheSuitesAndNamesTheSuite() {
    assertThatThrownBy(() -> PemTlsContextFactory.builder().cipherSuites(
            List.of("ECDHE-RSA-AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA")))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("cipherSuites: TLS_RSA_WITH_AES_128_CBC_SHA is not allowed (allowed: "
            + "TLS_AES_128_GCM_SHA256, ")
        .hasMessageNotContaining("\n")
        .extracting(e -> ((TlsConfigException) e).setting()).isEqualTo("cipherSuites");
  }

  @Test
  void refusesWideningTheProtocolsAndNamesTheProtocol() {
    assertThatThrownBy(() -> PemTlsContextFactory.builder().protocols(List.of("TLSv1.2", "TLSv1.1")))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("protocols: TLSv1.1 is not allowed (allowed: TLSv1.3, TLSv1.2)");
  }

  @Test
  void refusesEmptyLists() {
    assertThatThrownBy(() -> PemTlsContextFactory.builder().protocols(List.of()))
        .hasMessage("protocols must not be empty");
    assertThatThrownBy(() -> PemTlsContextFactory.builder().cipherSuites(List.of()))
        .hasMessage("cipherSuites must not be empty");
  }

  @Test
  void refusesAProtocolLeftWithoutASuite() {
    assertThatThrownBy(() -> withAbsentFiles()
            .engine(TlsEngine.JDK)
            .cipherSuites(List.of("ECDHE-ECDSA-AES128-GCM-SHA256"))
            .build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("cipherSuites: no TLSv1.3 suite left for protocol TLSv1.3");
  }

  @Test
  void keepsOnlyTheSuitesOfTheEnabledProtocols() {
    TlsPolicy.Enabled enabled = TlsPolicy.enabled(
        List.of("TLSv1.2"), List.of("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    assertThat(enabled.cipherSuites()).containsExactly("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  }

  @Test
  void ordersTheProtocolsByPreferenceWhateverTheConfiguredOrder() {
    assertThat(TlsPolicy.narrowProtocols(List.of("tlsv1.2", "TLSv1.3", "TLSv1.2")))
        .containsExactly("TLSv1.3", "TLSv1.2");
  }

  @Test
  void refusesNarrowingTls13SuitesOnBoringSsl() {
    TlsFixture.assumeBoringSsl();
    assertThatThrownBy(() -> withAbsentFiles()
            .engine(TlsEngine.OPENSSL)
            .cipherSuites(List.of("TLS_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"))
            .build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("cipherSuites: the OPENSSL engine cannot narrow the TLSv1.3 suites");
  }

  @Test
  void refusesANonPositiveWatchInterval() {
    assertThatThrownBy(() -> PemTlsContextFactory.builder().watch(Duration.ZERO))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("watch must be positive but was PT0S");
  }

  @Test
  void namesAMissingSetting() {
    assertThatThrownBy(() -> PemTlsContextFactory.builder()
            .certificateChain(Path.of("c.pem")).privateKey(Path.of("k.pem")).build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("clientCa must be set");
  }
}
