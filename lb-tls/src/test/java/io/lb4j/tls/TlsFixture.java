package io.lb4j.tls;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.KeyFormat;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.netty.handler.ssl.OpenSsl;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** PEM files on disk for a server, and factories over them. */
record TlsFixture(Path chain, Path key, Path clientCa) {

  /** Writes the server's chain and key (PKCS#8) and the PKI's CA into {@code dir}. */
  static TlsFixture write(Path dir, TestPki clientPki, IssuedCertificate server) {
    return write(dir, clientPki, server, KeyFormat.PKCS8);
  }

  static TlsFixture write(Path dir, TestPki clientPki, IssuedCertificate server, KeyFormat format) {
    PemFiles files = server.writePem(dir, "server", format);
    Path ca = clientPki.writeCaPem(dir.resolve("client-ca.pem"));
    return new TlsFixture(files.certificate(), files.privateKey(), ca);
  }

  PemTlsContextFactory.Builder builder(TlsEngine engine) {
    assumeAvailable(engine);
    return PemTlsContextFactory.builder()
        .certificateChain(chain)
        .privateKey(key)
        .clientCa(clientCa)
        .engine(engine);
  }

  PemTlsContextFactory factory(TlsEngine engine) {
    return builder(engine).build();
  }

  PemTlsContextFactory factory(
      TlsEngine engine, UnaryOperator<PemTlsContextFactory.Builder> settings) {
    return settings.apply(builder(engine)).build();
  }

  /**
   * Skips (with the reason) a test of the OpenSSL engine where BoringSSL does not load, and fails
   * it in CI, where the build's netty-tcnative dependency must load.
   */
  static void assumeAvailable(TlsEngine engine) {
    if (engine == TlsEngine.OPENSSL) {
      assumeBoringSsl();
    }
  }

  /** Skips (with the reason) where BoringSSL does not load; fails in CI. */
  static void assumeBoringSsl() {
    Peers.assumeAvailable(OpenSsl.isAvailable(), "BoringSSL (netty-tcnative)",
        () -> "it does not load here: " + OpenSsl.unavailabilityCause());
  }
}
