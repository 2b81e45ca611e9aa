package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RefusalReason;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.KeyType;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SinkUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The policy's refusals of {@link ClientRefusalTest}, repeated through a real
 * {@link io.lb4j.impl.LoadBalancer} on both engines: lb4j itself closes the client's connection
 * (promptly, not by the client's read timeout), the connection event says {@code REFUSED} with
 * {@code TLS_FAILED} and why, and the upstream accepts nothing.
 *
 * <p>The JDK clients offer TLS 1.0, 1.1 and CBC suites because this module's tests run with
 * {@code legacy-clients.security}, which lifts the JDK's own ban on them (for the JDK server engine
 * too, so what refuses them is lb4j's policy).
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class TlsRefusalThroughBalancerTest {

  private static final TestPki PKI = TestPki.create();

  @TempDir static Path ecDir;
  @TempDir static Path rsaDir;
  private static TlsFixture ecServer;
  private static TlsFixture rsaServer;

  @RegisterExtension final Closer closer = new Closer();

  private SinkUpstream sink;
  private TlsBalancer lb;

  @BeforeAll
  static void writeServerMaterial() {
    ecServer = TlsFixture.write(ecDir, PKI, PKI.server("localhost", "127.0.0.1"));
    // An RSA key, so RSA-authenticated suites fail on the policy's list, not on the key type.
    rsaServer = TlsFixture.write(rsaDir, PKI, PKI.server(KeyType.RSA_2048, "localhost", "127.0.0.1"));
  }

  private InetSocketAddress start(TlsEngine engine, TlsFixture server) {
    PemTlsContextFactory tls = closer.track(server.factory(engine));
    sink = closer.track(Upstreams.sink());
    lb = closer.track(TlsBalancer.start(tls, sink));
    return lb.address();
  }

  /**
   * Connects, handshakes, writes a byte and reads until lb4j closes the connection; checks that it
   * did so promptly.
   *
   * @return what the client saw, or null for a clean end of stream
   */
  private static IOException connectUntilClosed(SSLContext client, InetSocketAddress address,
      Consumer<SSLSocket> configure) throws IOException {
    try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
      return ClosedByServer.whileRunning(() -> {
        socket.connect(address, (int) ClosedByServer.CLIENT_TIMEOUT.toMillis());
        socket.setSoTimeout((int) ClosedByServer.CLIENT_TIMEOUT.toMillis());
        configure.accept(socket);
        socket.startHandshake();
        // TLS 1.3 lets a client finish before the server has judged its certificate; the refusal
        // then shows on the first read.
        socket.getOutputStream().write(1);
        socket.getOutputStream().flush();
        while (socket.getInputStream().read() >= 0) {
          // nothing is expected; read to the end
        }
      });
    }
  }

  /** Checks the event of the one refused connection and that nothing reached the upstream. */
  private ConnectionEvent assertRefusedWithTlsFailure() {
    ConnectionEvent event = lb.onlyEvent();
    assertThat(lb.events()).hasSize(1);
    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    assertThat(event.refusal().detail()).startsWith("handshake failed: ");
    assertThat(event.refusal().cause()).as("a refusal that is not about revocation").isNull();
    assertThat(sink.acceptedConnections()).as("connections that reached the upstream").isZero();
    return event;
  }

  static Stream<Arguments> oldProtocols() {
    return Stream.of(TlsEngine.OPENSSL, TlsEngine.JDK).flatMap(engine ->
        Stream.of("TLSv1.1", "TLSv1").map(protocol -> Arguments.of(engine, protocol)));
  }

  @ParameterizedTest(name = "{0} refuses {1}")
  @MethodSource("oldProtocols")
  void refusesClientSpeakingOnlyAnOldProtocol(TlsEngine engine, String protocol)
      throws IOException {
    InetSocketAddress address = start(engine, ecServer);

    IOException seen = connectUntilClosed(PKI.clientContext(PKI.client("alice")), address,
        socket -> TlsClientSockets.protocol(socket, protocol));

    assertThat(seen).hasMessageContaining("protocol_version");
    assertThat(assertRefusedWithTlsFailure().refusal().detail()).contains(
        engine == TlsEngine.OPENSSL ? "UNSUPPORTED_PROTOCOL" : "not accepted by server preferences");
  }

  static Stream<Arguments> suitesOutsideThePolicy() {
    return Stream.of(TlsEngine.OPENSSL, TlsEngine.JDK).flatMap(engine ->
        Stream.of("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_RSA_WITH_AES_128_GCM_SHA256")
            .map(suite -> Arguments.of(engine, suite)));
  }

  @ParameterizedTest(name = "{0} refuses {1}")
  @MethodSource("suitesOutsideThePolicy")
  void refusesTls12ClientOfferingOnlySuitesOutsideThePolicy(TlsEngine engine, String suite)
      throws IOException {
    InetSocketAddress address = start(engine, rsaServer);

    IOException seen = connectUntilClosed(PKI.clientContext(PKI.client("alice")), address,
        socket -> {
          TlsClientSockets.tls12Only(socket);
          socket.setEnabledCipherSuites(new String[] {suite});
        });

    assertThat(seen).hasMessageContaining("handshake_failure");
    assertThat(assertRefusedWithTlsFailure().refusal().detail()).contains(
        engine == TlsEngine.OPENSSL ? "NO_SHARED_CIPHER" : "no cipher suites in common");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientCertificateForServerAuthOnly(TlsEngine engine) throws IOException {
    InetSocketAddress address = start(engine, ecServer);

    IOException seen = connectUntilClosed(
        PKI.clientContext(PKI.serverOnlyClient("impostor")), address, socket -> {});

    assertThat(seen).as("how the client's connection ended").isNotNull();
    assertThat(assertRefusedWithTlsFailure().refusal().detail())
        .contains("Extended key usage does not permit use for TLS client authentication");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithNotYetValidCertificate(TlsEngine engine) throws IOException {
    InetSocketAddress address = start(engine, ecServer);

    IOException seen = connectUntilClosed(
        PKI.clientContext(PKI.notYetValidClient("early")), address, socket -> {});

    assertThat(seen).as("how the client's connection ended").isNotNull();
    // The detail is the JDK exception's own message, the certificate's start of validity.
    assertThat(assertRefusedWithTlsFailure().refusal().detail()).contains("NotBefore: ");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesOpenSslClientSpeakingTls10(TlsEngine engine) throws Exception {
    InetSocketAddress address = start(engine, ecServer);
    PemFiles alice = PKI.client("alice").writePem(ecDir, "alice");

    // A client other than the JDK's, offering nothing newer than TLS 1.0. OpenSSL 3 refuses TLS 1.0
    // itself above security level 0; lowered, so that lb4j is the one that refuses.
    long start = System.nanoTime();
    String output = OpenSslClient.run(ecDir, PKI, address.getPort(), "-tls1",
        "-cipher", "DEFAULT@SECLEVEL=0",
        "-cert", alice.certificate().toString(), "-key", alice.privateKey().toString());

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(ClosedByServer.PROMPT);
    assertThat(output).contains("alert protocol version");
    assertThat(assertRefusedWithTlsFailure().refusal().detail()).contains(
        engine == TlsEngine.OPENSSL ? "UNSUPPORTED_PROTOCOL" : "TLSv1 is not enabled or supported");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void closesClientThatRenegotiates(TlsEngine engine) throws IOException {
    PemTlsContextFactory tls = closer.track(ecServer.factory(engine));
    EchoUpstream echo = closer.track(Upstreams.echo());
    lb = closer.track(TlsBalancer.start(tls, echo));
    try (TlsClient client = TlsClient.open(PKI.clientContext(PKI.client("alice")),
        lb.address().getPort(), TlsClientSockets::tls12Only)) {
      client.echo("before");

      // A forgotten session cannot be resumed: the client asks for a full new handshake.
      client.session().invalidate();
      client.socket().startHandshake();

      // Application data still flows while the new handshake runs, so a message may come back
      // before lb4j sees the client's certificate flight; it closes by the third at most.
      ClosedByServer.whileRunning(() -> TlsClientTry.echoUntilCutOff(client, 3));
    }

    // The first handshake was good, so the connection was admitted and forwarded before the client
    // renegotiated: its end is not a refusal (REFUSED/TLS_FAILED is for connections that never
    // reach a host) but a client error that names the renegotiation.
    ConnectionEvent event = lb.onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_ERROR);
    assertThat(event.error()).hasStackTraceContaining(engine == TlsEngine.OPENSSL
        ? "NO_RENEGOTIATION" : "renegotiation is not allowed");
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }
}
