package io.lb4j.tls;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A listener that accepts the PROXY protocol: the header's client address becomes the
 * connection's, and every connection without a valid header is refused with {@code PROTOCOL},
 * without leaking. Headers are written by Netty's own encoder.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class AcceptProxyTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final TestPki PKI = TestPki.create();
  private static final IssuedCertificate ALICE = PKI.client(ClientSpec.commonName("alice").build());

  @TempDir static Path dir;
  private static TlsFixture fixture;

  private final ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<ConnectionInfo> accepted = new ConcurrentLinkedQueue<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private ProxyHeaderHost host;
  private LoadBalancer lb;

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
  void v2HeaderAddressIsTheClientAddressAndIsPassedOn(TlsEngine engine) throws Exception {
    start(engine, Duration.ofSeconds(20));
    byte[] header =
        encode(
            new HAProxyMessage(
                HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP6,
                "2001:db8::7", "2001:db8::1", 40_001, 443));
    exchange(header);

    ProxyHeaderHost.Received r = host.next(WAIT);
    assertThat(r.protocol()).isEqualTo("TCP6");
    assertThat(r.source()).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(r.sourcePort()).isEqualTo(40_001);
    assertThat(r.destinationPort()).isEqualTo(lb.boundAddress("api").getPort());
    ConnectionEvent event = awaitEvent();
    assertThat(event.refusal()).isNull();
    assertThat(event.connection().clientAddress())
        .isEqualTo(new InetSocketAddress("2001:db8::7", 40_001));
    assertThat(accepted.peek().clientAddress()).isEqualTo(event.connection().clientAddress());
  }

  @Test
  void v1HeaderAddressIsTheClientAddress() throws Exception {
    start(TlsEngine.JDK, Duration.ofSeconds(20));
    exchange("PROXY TCP4 192.0.2.9 192.0.2.1 50123 443\r\n".getBytes(US_ASCII));
    ProxyHeaderHost.Received r = host.next(WAIT);
    assertThat(r.source()).isEqualTo("192.0.2.9");
    assertThat(r.sourcePort()).isEqualTo(50_123);
    assertThat(awaitEvent().connection().clientAddress())
        .isEqualTo(new InetSocketAddress("192.0.2.9", 50_123));
  }

  @Test
  void localHeaderKeepsTheConnectionsOwnAddress() throws Exception {
    start(TlsEngine.JDK, Duration.ofSeconds(20));
    int port =
        exchange(
            encode(
                new HAProxyMessage(
                    HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
                    null, null, 0, 0)));
    ProxyHeaderHost.Received r = host.next(WAIT);
    assertThat(r.source()).isEqualTo("127.0.0.1");
    assertThat(r.sourcePort()).isEqualTo(port);
    assertThat(awaitEvent().connection().clientAddress().getPort()).isEqualTo(port);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "tls-without-header",
        "garbage",
        "v1-bad-address",
        "v1-too-long",
        "v2-bad-version",
        "v2-oversized",
        "truncated-then-close"
      })
  void connectionWithoutValidHeaderIsRefusedWithProtocol(String kind) throws Exception {
    start(TlsEngine.JDK, Duration.ofSeconds(20));
    InetSocketAddress address = lb.boundAddress("api");
    if (kind.equals("tls-without-header")) {
      try (SSLSocket tls = (SSLSocket) PKI.clientContext(ALICE).getSocketFactory().createSocket()) {
        tls.connect(address, 20_000);
        tls.setSoTimeout(20_000);
        tls.startHandshake();
        tls.getInputStream().read();
      } catch (IOException expected) {
        // refused
      }
    } else {
      try (Socket s = new Socket()) {
        s.connect(address, 20_000);
        s.setSoTimeout(20_000);
        OutputStream out = s.getOutputStream();
        out.write(malformed(kind));
        out.flush();
        if (kind.equals("truncated-then-close")) {
          s.shutdownOutput();
        }
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      } catch (IOException reset) {
        // refused with a reset: also a refusal
      }
    }
    ConnectionEvent event = awaitEvent();
    assertThat(event.refusal()).isNotNull();
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.PROTOCOL);
    assertThat(event.connection().clientAddress().getAddress().getHostAddress())
        .isEqualTo("127.0.0.1");
    assertThat(accepted).hasSize(1);
    await().atMost(WAIT).until(() -> lb.openConnections() == 0);
    assertThat(host.failures()).isEmpty();
  }

  @Test
  void headerDribbledTooSlowlyIsRefusedAtTheHandshakeTimeout() throws Exception {
    start(TlsEngine.JDK, Duration.ofMillis(500));
    byte[] header = "PROXY TCP4 192.0.2.9 192.0.2.1 50123 443\r\n".getBytes(US_ASCII);
    try (Socket s = new Socket()) {
      s.connect(lb.boundAddress("api"), 20_000);
      s.setSoTimeout(20_000);
      // One byte now, the rest never: the timeout, not the peer, ends it.
      s.getOutputStream().write(header, 0, 1);
      s.getOutputStream().flush();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    } catch (IOException reset) {
      // refused with a reset
    }
    ConnectionEvent event = awaitEvent();
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.PROTOCOL);
    assertThat(event.refusal().detail()).contains("no PROXY header within 500 ms");
  }

  @Test
  void healthChecksOfAProxyUpstreamSendLocal() throws Exception {
    host = closing(new ProxyHeaderHost("127.0.0.1"));
    Upstream api =
        Upstream.builder("api")
            .hosts(List.of(host.host()))
            .proxyProtocol(ProxyProtocol.v2())
            .healthCheck(HealthCheck.of(Duration.ofMillis(200), Duration.ofSeconds(2), 1, 1))
            .build();
    lb = closing(LoadBalancer.builder().upstream(api, new InetSocketAddress("127.0.0.1", 0)).build().start());
    ProxyHeaderHost.Received r = host.next(WAIT);
    assertThat(r.version()).isEqualTo("V2");
    assertThat(r.command()).isEqualTo("LOCAL");
    assertThat(r.protocol()).isEqualTo("UNKNOWN");
    assertThat(r.tlvs()).isEmpty();
  }

  // ---- helpers

  private void start(TlsEngine engine, Duration handshakeTimeout) {
    host = closing(new ProxyHeaderHost("127.0.0.1"));
    PemTlsContextFactory factory = closing(fixture.factory(engine));
    Upstream api =
        Upstream.builder("api").hosts(List.of(host.host())).proxyProtocol(ProxyProtocol.v2()).build();
    lb =
        closing(
            LoadBalancer.builder()
                .upstream(api, new InetSocketAddress("127.0.0.1", 0))
                .acceptProxy("api")
                .tls(factory)
                .handshakeTimeout(handshakeTimeout)
                .listener(
                    new ConnectionListener() {
                      @Override
                      public void onAccepted(ConnectionInfo c) {
                        accepted.add(c);
                      }

                      @Override
                      public void onClosed(ConnectionEvent e) {
                        closed.add(e);
                      }
                    })
                .build()
                .start());
  }

  /** Sends the header, then does TLS on the same connection and echoes; returns the local port. */
  private int exchange(byte[] header) throws IOException {
    InetSocketAddress address = lb.boundAddress("api");
    try (Socket raw = new Socket()) {
      raw.connect(address, 20_000);
      raw.setSoTimeout(20_000);
      raw.getOutputStream().write(header);
      raw.getOutputStream().flush();
      try (SSLSocket tls =
          (SSLSocket)
              PKI.clientContext(ALICE)
                  .getSocketFactory()
                  .createSocket(raw, "localhost", address.getPort(), true)) {
        tls.startHandshake();
        tls.getOutputStream().write("hello".getBytes(US_ASCII));
        tls.getOutputStream().flush();
        assertThat(new String(tls.getInputStream().readNBytes(5), US_ASCII)).isEqualTo("hello");
      }
      return raw.getLocalPort();
    }
  }

  private static byte[] encode(HAProxyMessage message) {
    EmbeddedChannel channel = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
    channel.writeOutbound(message);
    ByteBuf out = channel.readOutbound();
    try {
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
      channel.finishAndReleaseAll();
    }
  }

  /** The fuzz cases: each is a start of a connection that is no valid PROXY header. */
  static byte[] malformed(String kind) {
    byte[] v2 =
        encode(
            new HAProxyMessage(
                HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                "192.0.2.9", "192.0.2.1", 50_123, 443));
    return switch (kind) {
      case "garbage" -> "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(US_ASCII);
      case "v1-bad-address" -> "PROXY TCP4 999.1.1.1 192.0.2.1 1 2\r\n".getBytes(US_ASCII);
      case "v1-too-long" -> ("PROXY TCP4 " + "1".repeat(200) + "\r\n").getBytes(US_ASCII);
      case "v2-bad-version" -> {
        byte[] b = v2.clone();
        b[12] = 0x31; // version 3
        yield b;
      }
      case "v2-oversized" -> {
        // Announces 65,535 bytes of addresses and TLVs, far beyond what lb4j takes.
        byte[] b = Arrays.copyOf(v2, 16 + 8192);
        b[14] = (byte) 0xFF;
        b[15] = (byte) 0xFF;
        yield b;
      }
      case "truncated-then-close" -> Arrays.copyOf(v2, 20);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private ConnectionEvent awaitEvent() {
    await().atMost(WAIT).until(() -> !closed.isEmpty());
    return closed.peek();
  }

  private <T extends AutoCloseable> T closing(T resource) {
    toClose.add(resource);
    return resource;
  }
}
