package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.KeyFormat;
import io.lb4j.testkit.pki.KeyType;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PemLoadingTest {

  private static TestPki pki;
  private static IssuedCertificate ecServer;
  private static IssuedCertificate rsaServer;

  @TempDir Path dir;

  @BeforeAll
  static void issueServerCertificates() {
    pki = TestPki.create();
    ecServer = pki.server();
    rsaServer = pki.server(KeyType.RSA_2048);
  }

  static Stream<Arguments> keyForms() {
    return Stream.of(TlsEngine.OPENSSL, TlsEngine.JDK).flatMap(engine ->
        Stream.of(KeyType.values()).flatMap(type ->
            Stream.of(KeyFormat.values()).map(format -> Arguments.of(engine, type, format))));
  }

  @ParameterizedTest(name = "{0} serves a {1} key in {2} form")
  @MethodSource("keyForms")
  void servesWithKeyInEveryForm(TlsEngine engine, KeyType type, KeyFormat format)
      throws IOException {
    IssuedCertificate server = type == KeyType.EC_P256 ? ecServer : rsaServer;
    TlsFixture files = TlsFixture.write(dir, pki, server, format);
    String expectedHeader = switch (format) {
      case PKCS8 -> "-----BEGIN PRIVATE KEY-----";
      case TRADITIONAL -> type == KeyType.EC_P256
          ? "-----BEGIN EC PRIVATE KEY-----" : "-----BEGIN RSA PRIVATE KEY-----";
    };
    assertThat(Files.readString(files.key())).contains(expectedHeader);

    try (PemTlsContextFactory factory = files.factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      TlsClient.Result result =
          TlsClient.exchange(pki.clientContext(pki.client("alice")), echo.port());

      assertThat(result).isInstanceOfSatisfying(TlsClient.Echoed.class, echoed ->
          assertThat(echoed.serverCertificate()).isEqualTo(server.certificate()));
      assertThat(echo.nextSuccess().identity().commonName()).isEqualTo("alice");
    }
  }

  @Test
  void namesTheFileWithoutAPrivateKey() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path key = write("no-key.pem", ecServer.certificatePem());

    assertBuildFails(files, key, files.clientCa(), "privateKey: " + key + ": no private key found");
  }

  @Test
  void namesAMissingFile() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path missing = dir.resolve("missing-ca.pem");

    assertBuildFails(files, files.key(), missing, "clientCa: " + missing + ": file not found");
  }

  @Test
  void refusesAFileThatIsNotPem() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path ca = write("ca.txt", "hello\nworld\n");

    assertBuildFails(files, files.key(), ca,
        "clientCa: " + ca + ": not a PEM file (no -----BEGIN line)");
  }

  @Test
  void refusesAnEncryptedKey() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path key = write("encrypted.pem",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n");

    assertBuildFails(files, key, files.clientCa(),
        "privateKey: " + key + ": the private key is encrypted; give an unencrypted key");
  }

  @Test
  void refusesAKeyThatIsNotTheCertificates() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path otherKey = pki.server().writePem(dir.resolve("other"), "server").privateKey();

    assertBuildFails(files, otherKey, files.clientCa(), "privateKey: " + otherKey
        + ": the key does not match the certificate in " + files.chain());
  }

  @Test
  void refusesAKeyOfAnotherTypeThanTheCertificate() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path rsaKey = rsaServer.writePem(dir.resolve("rsa"), "server").privateKey();

    assertBuildFails(files, rsaKey, files.clientCa(), "privateKey: " + rsaKey
        + ": the RSA key does not match the EC certificate in " + files.chain());
  }

  @Test
  void refusesAChainThatDoesNotStartWithTheServerCertificate() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    Path reversed = write("reversed.pem",
        pki.ca().certificatePem() + ecServer.certificatePem().split("(?=-----BEGIN)")[0]);

    assertThatThrownBy(() -> files.builder(TlsEngine.JDK).certificateChain(reversed).build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("certificateChain: " + reversed + ": certificate 2 (")
        .hasMessageEndingWith("list the server certificate first, then each issuer")
        .hasMessageNotContaining("\n");
  }

  @Test
  void refusesTruncatedBase64() {
    TlsFixture files = TlsFixture.write(dir, pki, ecServer);
    String pem = ecServer.certificatePem();
    Path broken = write("broken.pem", pem.substring(0, pem.indexOf("-----END")));

    assertThatThrownBy(() -> files.builder(TlsEngine.JDK).certificateChain(broken).build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("certificateChain: " + broken + ": ")
        .hasMessageNotContaining("\n");
  }

  private void assertBuildFails(TlsFixture files, Path key, Path ca, String message) {
    assertThatThrownBy(() -> files.builder(TlsEngine.JDK).privateKey(key).clientCa(ca).build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessage(message);
  }

  private Path write(String name, String content) {
    try {
      return Files.writeString(dir.resolve(name), content, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
