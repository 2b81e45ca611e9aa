package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.KeyType;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clients the policy refuses. Each case checks both sides: the server recorded a failed handshake,
 * and the client could not get a message through.
 */
class ClientRefusalTest {

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

  /** Both sides of a refused connection: why the server failed it, what the client got. */
  private record Refusal(String serverReasons, Exception clientCause) {}

  private Refusal refuse(TlsEngine engine, IssuedCertificate server, SSLContext client,
      Consumer<SSLSocket> configure) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, server).factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      // The JDK client writes its handshake flight in several segments. A server that refuses on
      // the first closes with the rest unread, which resets the connection, and a client still
      // writing its flight then fails with "Broken pipe" before reading the alert. Every attempt is
      // refused; a few attempts give one in which the client reads the alert.
      Exception clientCause = null;
      String serverReasons = null;
      for (int attempt = 0; attempt < 3 && !hasAlert(clientCause); attempt++) {
        clientCause = TlsClient.awaitRefusal(client, echo.port(), configure);
        serverReasons = echo.nextFailure().reasons();
        assertThat(clientCause).as("how the client's connection ended").isNotNull();
      }
      return new Refusal(serverReasons, clientCause);
    }
  }

  private static boolean hasAlert(Exception clientCause) {
    return clientCause != null && String.valueOf(clientCause.getMessage()).contains("alert");
  }

  private Refusal refuse(TlsEngine engine, SSLContext client) {
    return refuse(engine, ecServer, client, socket -> {});
  }

  /**
   * Checks the alert a client of the OpenSSL engine receives, which the factory chooses so that it
   * names the problem (Netty alone would send internal_error). The JDK engine picks its own alerts,
   * and its clients may see a reset instead (see {@link #refuse}), so only its server side is
   * checked.
   */
  private static void assertOpenSslAlert(TlsEngine engine, Refusal refusal, String alert) {
    if (engine == TlsEngine.OPENSSL) {
      assertThat(refusal.clientCause()).hasMessageContaining("Received fatal alert: " + alert);
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithoutCertificate(TlsEngine engine) {
    Refusal refusal = refuse(engine, pki.clientContext());

    assertThat(refusal.serverReasons()).contains(engine == TlsEngine.OPENSSL
        ? "PEER_DID_NOT_RETURN_A_CERTIFICATE" : "Empty client certificate chain");
    assertOpenSslAlert(engine, refusal, "certificate_required");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithCertificateFromAnotherCa(TlsEngine engine) {
    Refusal refusal = refuse(engine, pki.clientContext(TestPki.create().client("mallory")));

    assertThat(refusal.serverReasons()).contains("unable to find valid certification path");
    assertOpenSslAlert(engine, refusal, "unknown_ca");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithSelfSignedCertificate(TlsEngine engine) {
    Refusal refusal = refuse(engine, pki.clientContext(TestPki.selfSigned("mallory")));

    assertThat(refusal.serverReasons()).contains("unable to find valid certification path");
    assertOpenSslAlert(engine, refusal, "unknown_ca");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithExpiredCertificate(TlsEngine engine) {
    Refusal refusal = refuse(engine, pki.clientContext(pki.expiredClient("late")));

    assertThat(refusal.serverReasons()).contains("CertificateExpiredException");
    assertOpenSslAlert(engine, refusal, "certificate_expired");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithNotYetValidCertificate(TlsEngine engine) {
    Refusal refusal = refuse(engine, pki.clientContext(pki.notYetValidClient("early")));

    assertThat(refusal.serverReasons()).contains("CertificateNotYetValidException");
    assertOpenSslAlert(engine, refusal, "certificate_expired");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientCertificateForServerAuthOnly(TlsEngine engine) {
    Refusal refusal = refuse(engine, pki.clientContext(pki.serverOnlyClient("impostor")));

    assertThat(refusal.serverReasons())
        .contains("Extended key usage does not permit use for TLS client authentication");
    assertOpenSslAlert(engine, refusal, "unsupported_certificate");
  }

  static Stream<Arguments> oldProtocols() {
    return Stream.of(TlsEngine.OPENSSL, TlsEngine.JDK).flatMap(engine ->
        Stream.of("TLSv1.1", "TLSv1").map(protocol -> Arguments.of(engine, protocol)));
  }

  @ParameterizedTest(name = "{0} refuses {1}")
  @MethodSource("oldProtocols")
  void refusesClientSpeakingOnlyAnOldProtocol(TlsEngine engine, String protocol) {
    Refusal refusal = refuse(engine, ecServer, pki.clientContext(pki.client("alice")),
        socket -> TlsClientSockets.protocol(socket, protocol));

    // The server's alert, not the client's own configuration, ended the handshake.
    assertThat(refusal.clientCause()).hasMessageContaining("protocol_version");
    assertThat(refusal.serverReasons()).contains(engine == TlsEngine.OPENSSL
        ? "UNSUPPORTED_PROTOCOL" : "are not accepted by server preferences [TLSv1.3, TLSv1.2]");
  }

  static Stream<Arguments> suitesOutsideThePolicy() {
    return Stream.of(TlsEngine.OPENSSL, TlsEngine.JDK).flatMap(engine ->
        Stream.of("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256")
            .map(suite -> Arguments.of(engine, suite)));
  }

  @ParameterizedTest(name = "{0} refuses {1}")
  @MethodSource("suitesOutsideThePolicy")
  void refusesTls12ClientOfferingOnlySuitesOutsideThePolicy(TlsEngine engine, String suite) {
    // An RSA server key, so these RSA-authenticated suites fail on the list, not on the key type.
    Refusal refusal = refuse(engine, rsaServer, pki.clientContext(pki.client("alice")),
        socket -> {
          TlsClientSockets.tls12Only(socket);
          socket.setEnabledCipherSuites(new String[] {suite});
        });

    assertThat(refusal.clientCause()).hasMessageContaining("handshake_failure");
    assertThat(refusal.serverReasons()).contains(engine == TlsEngine.OPENSSL
        ? "NO_SHARED_CIPHER" : "no cipher suites in common");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesPlainTextSentToTheTlsPort(TlsEngine engine) throws IOException {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory);
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), echo.port())) {
      plain.setSoTimeout(20_000);
      OutputStream out = plain.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: lb4j\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();

      assertThat(echo.nextFailure().reasons()).contains("NotSslRecordException");
      InputStream in = plain.getInputStream();
      assertThat(in.readAllBytes()).asString(StandardCharsets.US_ASCII).doesNotContain("GET");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesRenegotiation(TlsEngine engine) throws IOException {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory);
        TlsClient client = TlsClient.open(pki.clientContext(pki.client("alice")), echo.port(),
            TlsClientSockets::tls12Only)) {
      client.echo("before");
      echo.nextSuccess();

      // A forgotten session cannot be resumed: the client asks for a full new handshake.
      client.session().invalidate();
      client.socket().startHandshake();

      // Application data still flows while the new handshake runs, so a message may come back
      // before the server sees the client's certificate flight; it refuses by the third at most,
      // by closing the connection: a client left waiting for its read timeout fails here.
      ClosedByServer.whileRunning(() -> TlsClientTry.echoUntilCutOff(client, 3));
    }
  }
}
