package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.SinkUpstream;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mutual TLS through a real {@link LoadBalancer}: trusted clients' bytes reach the upstream with
 * their identity; every other client is refused with {@code TLS_FAILED}, reported in the
 * connection event, and nothing reaches the upstream. Each case runs on both engines.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class MutualTlsForwardingTest {

  private static final TestPki PKI = TestPki.create();
  private static final TestPki OTHER_PKI = TestPki.create();
  private static final IssuedCertificate ALICE =
      PKI.client(
          ClientSpec.commonName("alice").groups("ops").uris("spiffe://lb4j.test/alice").build());

  @TempDir static Path dir;
  private static TlsFixture fixture;

  private final ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Refuse> refused = new ConcurrentLinkedQueue<>();
  private LoadBalancer lb;
  private SinkUpstream sink;
  private EchoUpstream echo;
  private PemTlsContextFactory factory;

  @BeforeAll
  static void writeServerMaterial() {
    fixture = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    if (lb != null) {
      lb.close();
    }
    if (factory != null) {
      factory.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (echo != null) {
      echo.close();
    }
  }

  private InetSocketAddress start(TlsEngine engine, Upstream upstream) {
    // Generous, so a loaded machine does not turn a slow handshake into a refusal.
    return start(engine, upstream, Duration.ofSeconds(20));
  }

  private InetSocketAddress start(TlsEngine engine, Upstream upstream, Duration handshakeTimeout) {
    factory = fixture.factory(engine);
    lb =
        LoadBalancer.builder()
            .upstream(upstream, new InetSocketAddress("127.0.0.1", 0))
            .tls(factory)
            .handshakeTimeout(handshakeTimeout)
            .listener(
                new ConnectionListener() {
                  @Override
                  public void onRefused(io.lb4j.api.ConnectionInfo c, Refuse r) {
                    refused.add(r);
                  }

                  @Override
                  public void onClosed(ConnectionEvent e) {
                    closed.add(e);
                  }
                })
            .build()
            .start();
    return lb.boundAddress(upstream.name());
  }

  private InetSocketAddress startEcho(TlsEngine engine) {
    echo = Upstreams.echo();
    return start(engine, Upstream.builder("echo").hosts(List.of(echo.host())).build());
  }

  private InetSocketAddress startSink(TlsEngine engine) {
    return startSink(engine, Duration.ofSeconds(20));
  }

  private InetSocketAddress startSink(TlsEngine engine, Duration handshakeTimeout) {
    sink = Upstreams.sink();
    return start(engine, Upstream.builder("sink").hosts(List.of(sink.host())).build(), handshakeTimeout);
  }

  private static SSLSocket tlsSocket(SSLContext context, InetSocketAddress address) throws Exception {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    socket.connect(address, 5_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static void echoThrough(SSLSocket socket, int length) throws Exception {
    OutputStream out = socket.getOutputStream();
    InputStream in = socket.getInputStream();
    byte[] sent = new byte[length];
    for (int i = 0; i < length; i++) {
      sent[i] = (byte) (i * 31);
    }
    out.write(sent);
    out.flush();
    byte[] got = in.readNBytes(length);
    assertThat(got).isEqualTo(sent);
  }

  private void assertRefusedWithTlsFailure() {
    await().until(() -> closed.size() == 1);
    ConnectionEvent event = closed.peek();
    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    assertThat(refused).extracting(Refuse::reason).containsExactly(RefusalReason.TLS_FAILED);
    assertThat(sink.acceptedConnections()).isZero();
  }

  private static void expectHandshakeFailure(SSLSocket socket) {
    assertThatThrownBy(
            () -> {
              socket.startHandshake();
              // TLS 1.3 lets a client finish before the server has checked its certificate; the
              // refusal then shows on the first read.
              socket.getOutputStream().write(1);
              socket.getOutputStream().flush();
              if (socket.getInputStream().read() < 0) {
                throw new java.io.EOFException("closed by the server");
              }
            })
        .isInstanceOf(java.io.IOException.class);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void trustedClientOverTls13ReachesUpstreamWithItsIdentity(TlsEngine engine) throws Exception {
    InetSocketAddress address = startEcho(engine);
    try (SSLSocket socket = tlsSocket(PKI.clientContext(ALICE), address)) {
      socket.setEnabledProtocols(new String[] {"TLSv1.3"});
      echoThrough(socket, 100_000);
      assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }
    await().until(() -> closed.size() == 1);
    ConnectionEvent event = closed.peek();
    ClientIdentity identity = event.connection().identity();
    assertThat(identity.commonName()).isEqualTo("alice");
    assertThat(identity.groups()).containsExactly("ops");
    assertThat(identity.uris()).containsExactly("spiffe://lb4j.test/alice");
    assertThat(event.bytesFromClient()).isEqualTo(100_000);
    assertThat(event.handshakeTime()).isPositive();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void tls13ClientThatClosesItsOutputStillReceivesTheWholeReply(TlsEngine engine) throws Exception {
    // Netty's OpenSSL engine closed both directions on a close_notify until lb4j kept its output
    // open (TlsHalfClose); HalfCloseTest covers every engine, version and kind of host.
    InetSocketAddress address = startEcho(engine);
    try (SSLSocket socket = tlsSocket(PKI.clientContext(ALICE), address)) {
      socket.setEnabledProtocols(new String[] {"TLSv1.3"});
      byte[] request = new byte[50_000];
      java.util.Arrays.fill(request, (byte) 7);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      socket.shutdownOutput();
      assertThat(socket.getInputStream().readNBytes(request.length)).isEqualTo(request);
      assertThat(socket.getInputStream().read()).as("end of stream after the reply").isEqualTo(-1);
    }
    await().until(() -> closed.size() == 1);
    assertThat(closed.peek().reason()).isEqualTo(CloseReason.CLIENT_CLOSED);
    assertThat(closed.peek().bytesToClient()).isEqualTo(50_000);
    assertThat(lb.hostStatus("echo")).allSatisfy(s -> assertThat(s.activeConnections()).isZero());
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void trustedClientOverTls12WithEcdsaAesGcmReachesUpstream(TlsEngine engine) throws Exception {
    InetSocketAddress address = startEcho(engine);
    try (SSLSocket socket = tlsSocket(PKI.clientContext(ALICE), address)) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"});
      echoThrough(socket, 10_000);
      assertThat(socket.getSession().getCipherSuite())
          .isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithoutCertificate(TlsEngine engine) throws Exception {
    InetSocketAddress address = startSink(engine);
    try (SSLSocket socket = tlsSocket(PKI.clientContext(), address)) {
      expectHandshakeFailure(socket);
    }
    assertRefusedWithTlsFailure();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithCertificateFromAnotherCa(TlsEngine engine) throws Exception {
    InetSocketAddress address = startSink(engine);
    IssuedCertificate stranger = OTHER_PKI.client("alice");
    SSLContext context = clientTrustingOurServer(stranger);
    try (SSLSocket socket = tlsSocket(context, address)) {
      expectHandshakeFailure(socket);
    }
    assertRefusedWithTlsFailure();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWithExpiredCertificate(TlsEngine engine) throws Exception {
    InetSocketAddress address = startSink(engine);
    try (SSLSocket socket = tlsSocket(PKI.clientContext(PKI.expiredClient("old")), address)) {
      expectHandshakeFailure(socket);
    }
    assertRefusedWithTlsFailure();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesPlainTextSentToTheTlsPort(TlsEngine engine) throws Exception {
    InetSocketAddress address = startSink(engine);
    try (Socket socket = new Socket()) {
      socket.connect(address, 5_000);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      try {
        while (socket.getInputStream().read() >= 0) {
          // an alert may come back before the close
        }
      } catch (java.net.SocketException reset) {
        // a reset is a close too
      }
    }
    assertRefusedWithTlsFailure();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void closesClientThatNeverFinishesTheHandshakeAtTheHandshakeTimeout(TlsEngine engine)
      throws Exception {
    InetSocketAddress address = startSink(engine, Duration.ofMillis(500));
    try (Socket socket = new Socket()) {
      socket.connect(address, 5_000);
      socket.setSoTimeout(10_000);
      // Sends nothing at all: lb4j closes it when the 500 ms handshake timeout passes.
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
    assertRefusedWithTlsFailure();
    assertThat(closed.peek().refusal().detail()).contains("timed out");
  }

  private static SSLContext clientTrustingOurServer(IssuedCertificate client) throws Exception {
    javax.net.ssl.KeyManagerFactory kmf =
        javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    char[] password = "changeit".toCharArray();
    kmf.init(client.toKeyStore(password), password);
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(PKI.trustStore());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }
}
