package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The real {@code openssl s_client} against both engines: the client a user tries first. Skipped,
 * with a message, where no {@code openssl} binary is on the PATH; failed there in CI.
 */
class OpenSslClientTest {

  private static TestPki pki;
  private static IssuedCertificate server;

  @TempDir Path dir;

  @BeforeAll
  static void setUp() {
    pki = TestPki.create();
    server = pki.server();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void acceptsOpenSslClientPresentingATrustedCertificate(TlsEngine engine) throws Exception {
    PemFiles alice = pki.client("alice").writePem(dir, "alice");
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server).factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      SClient result = sClient(echo.port(), Stdin.CLOSE, "-cert", alice.certificate().toString(),
          "-key", alice.privateKey().toString());

      assertThat(echo.nextSuccess().identity().commonName()).isEqualTo("alice");
      assertThat(result.exitCode()).as(result.output()).isZero();
      assertThat(result.output()).contains("Protocol version: TLSv1.3");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesOpenSslClientWithoutCertificate(TlsEngine engine) throws Exception {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server).factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      // A TLS 1.3 client finishes its side of the handshake before the server judges it, so keep
      // stdin open: s_client then ends only when the server's alert arrives. It sends nothing, so
      // no write of its own can race the alert.
      SClient result = sClient(echo.port(), Stdin.KEEP_OPEN);

      assertThat(echo.nextFailure().reasons()).isNotEmpty();
      if (engine == TlsEngine.OPENSSL) {
        assertThat(result.output()).contains("alert certificate required");
      } else {
        // JDK 17 answers bad_certificate, newer JDKs certificate_required.
        assertThat(result.output())
            .containsAnyOf("alert bad certificate", "alert certificate required");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesOpenSslClientSpeakingTls11(TlsEngine engine) throws Exception {
    PemFiles alice = pki.client("alice").writePem(dir, "alice");
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server).factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      // OpenSSL 3 refuses TLS 1.1 itself below security level 0; lower it so the server decides.
      SClient result = sClient(echo.port(), Stdin.CLOSE, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
          "-cert", alice.certificate().toString(), "-key", alice.privateKey().toString());

      assertThat(echo.nextFailure().reasons()).isNotEmpty();
      assertThat(result.exitCode()).isNotZero();
      assertThat(result.output()).contains("alert protocol version");
    }
  }

  private record SClient(int exitCode, String output) {}

  private enum Stdin { CLOSE, KEEP_OPEN }

  private SClient sClient(int port, Stdin stdin, String... extra)
      throws IOException, InterruptedException {
    Process process = OpenSslClient.start(dir, pki, port, extra);
    try (OutputStream in = process.getOutputStream()) {
      if (stdin == Stdin.CLOSE) {
        in.close();
      }
      OpenSslClient.awaitExit(process);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new SClient(process.exitValue(), output);
  }
}
