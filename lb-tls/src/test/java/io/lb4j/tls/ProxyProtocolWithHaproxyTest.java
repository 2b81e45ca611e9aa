package io.lb4j.tls;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Host;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PROXY protocol against a peer lb4j did not write: HAProxy reads lb4j's header as a host
 * ({@code accept-proxy}), and sends one to lb4j as a balancer in front ({@code send-proxy-v2}).
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(90)
class ProxyProtocolWithHaproxyTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final TestPki PKI = TestPki.create();
  private static final IssuedCertificate ALICE =
      PKI.client(ClientSpec.commonName("alice").uris("spiffe://lb4j.test/alice").build());

  @TempDir static Path dir;
  private static TlsFixture fixture;

  private final ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void writeServerMaterial() {
    fixture = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void haproxyAsHostReadsClientAddressAuthorityAndUniqueId(TlsEngine engine) throws Exception {
    Haproxy.binary();
    EchoUpstream echo = closing(Upstreams.echo());
    int front = Haproxy.freePort();
    Haproxy haproxy =
        closing(
            Haproxy.start(
                dir,
                "frontend host\n"
                    + "  bind 127.0.0.1:" + front + " accept-proxy\n"
                    + "  log-format \"pp %ci:%cp %[fc_pp_authority] %[fc_pp_unique_id]\"\n"
                    + "  default_backend echo\n\n"
                    + "backend echo\n"
                    + "  server echo " + echo.host().name() + ":" + echo.host().port() + "\n",
                front));
    Upstream api =
        Upstream.builder("api")
            .hosts(List.of(Host.of("127.0.0.1", front)))
            .proxyProtocol(ProxyProtocol.v2())
            .build();
    LoadBalancer lb = start(engine, api, false);

    int clientPort;
    try (SSLSocket socket = connect(lb.boundAddress("api"))) {
      clientPort = socket.getLocalPort();
      echo(socket, "through haproxy");
    }
    await().atMost(WAIT).until(() -> !closed.isEmpty());
    long id = closed.peek().connection().id();

    String line = haproxy.awaitLine("pp 127.0.0.1:" + clientPort + " ");
    assertThat(line).isEqualTo("pp 127.0.0.1:" + clientPort + " api.lb4j.test " + id);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void haproxyInFrontGivesTheClientAddressThatLb4jPassesOn(TlsEngine engine) throws Exception {
    Haproxy.binary();
    ProxyHeaderHost host = closing(new ProxyHeaderHost("127.0.0.1"));
    Upstream api =
        Upstream.builder("api").hosts(List.of(host.host())).proxyProtocol(ProxyProtocol.v2()).build();
    LoadBalancer lb = start(engine, api, true);
    int front = Haproxy.freePort();
    closing(
        Haproxy.start(
            dir,
            "frontend balancer\n"
                + "  bind 127.0.0.1:" + front + "\n"
                + "  default_backend lb4j\n\n"
                + "backend lb4j\n"
                + "  server lb4j 127.0.0.1:" + lb.boundAddress("api").getPort() + " send-proxy-v2\n",
            front));

    int clientPort;
    try (SSLSocket socket = connect(new InetSocketAddress("127.0.0.1", front))) {
      clientPort = socket.getLocalPort();
      echo(socket, "behind haproxy");
    }
    ProxyHeaderHost.Received r = host.next(WAIT);
    assertThat(r.source()).isEqualTo("127.0.0.1");
    assertThat(r.sourcePort()).isEqualTo(clientPort);
    await().atMost(WAIT).until(() -> closed.stream().anyMatch(e -> e.refusal() == null));
    ConnectionInfo forwarded =
        closed.stream().filter(e -> e.refusal() == null).findFirst().orElseThrow().connection();
    assertThat(forwarded.clientAddress().getPort()).isEqualTo(clientPort);
    assertThat(forwarded.identity().commonName()).isEqualTo("alice");
  }

  private LoadBalancer start(TlsEngine engine, Upstream upstream, boolean acceptProxy) {
    PemTlsContextFactory factory = fixture.factory(engine);
    toClose.add(factory);
    LoadBalancer.Builder b =
        LoadBalancer.builder()
            .upstream(upstream, new InetSocketAddress("127.0.0.1", 0))
            .tls(factory)
            .handshakeTimeout(WAIT)
            .listener(
                new ConnectionListener() {
                  @Override
                  public void onClosed(ConnectionEvent e) {
                    closed.add(e);
                  }
                });
    if (acceptProxy) {
      b.acceptProxy(upstream.name());
    }
    LoadBalancer lb = b.build().start();
    toClose.add(lb);
    return lb;
  }

  private static SSLSocket connect(InetSocketAddress address) throws IOException {
    SSLSocket socket = (SSLSocket) PKI.clientContext(ALICE).getSocketFactory().createSocket();
    socket.connect(address, 20_000);
    socket.setSoTimeout(20_000);
    SSLParameters params = socket.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName("api.lb4j.test")));
    socket.setSSLParameters(params);
    socket.startHandshake();
    return socket;
  }

  private static void echo(SSLSocket socket, String message) throws IOException {
    socket.getOutputStream().write(message.getBytes(US_ASCII));
    socket.getOutputStream().flush();
    assertThat(new String(socket.getInputStream().readNBytes(message.length()), US_ASCII))
        .isEqualTo(message);
  }

  private <T extends AutoCloseable> T closing(T resource) {
    toClose.add(resource);
    return resource;
  }
}
