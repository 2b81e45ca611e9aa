package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client that ends its sending side (close_notify, then FIN) and then waits for the reply gets
 * every byte of it, through a real {@link LoadBalancer}: on both engines, with TLS 1.3 and 1.2,
 * from a host that echoes while the request still flows and from one that answers only after the
 * end of input. The host sees the end of the request as a FIN after its last byte; lb4j ends the
 * client's side with its own close_notify once the host has ended.
 *
 * <p>Two real clients: the JDK's {@link SSLSocket} ({@code shutdownOutput()}), and {@code socat}
 * with its OpenSSL address, which ends its TLS output at the end of its standard input exactly so.
 * ({@code openssl s_client} cannot be that client: at the end of its input it stops printing what
 * arrives, reads for half a second and exits.)
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class HalfCloseTest {

  private static final TestPki PKI = TestPki.create();
  private static final IssuedCertificate ALICE =
      PKI.client(ClientSpec.commonName("alice").groups("ops").build());

  /** Big enough to be many TLS records and to overlap the reply with the request. */
  private static final int ECHOED = 4 * 1024 * 1024;
  private static final int ANSWERED_AT_END = 1_000_000;

  @TempDir static Path dir;
  private static TlsFixture fixture;
  private static PemFiles aliceFiles;
  private static Path serverCa;

  @RegisterExtension final Closer closer = new Closer();
  private final ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();

  enum HostKind {
    /** Writes back as it reads: the reply overlaps the request. */
    ECHO,
    /** Keeps the request and writes it back only after the end of input. */
    REPLY_AT_END
  }

  @BeforeAll
  static void writeMaterial() {
    fixture = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
    aliceFiles = ALICE.writePem(dir, "alice");
    serverCa = PKI.writeCaPem(dir.resolve("server-ca.pem"));
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (TlsEngine engine : new TlsEngine[] {TlsEngine.OPENSSL, TlsEngine.JDK}) {
      for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
        for (HostKind host : HostKind.values()) {
          cases.add(Arguments.of(engine, protocol, host));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void jdkClientThatShutsItsOutputReceivesTheWholeReply(
      TlsEngine engine, String protocol, HostKind hostKind) throws Exception {
    int length = hostKind == HostKind.ECHO ? ECHOED : ANSWERED_AT_END;
    InetSocketAddress address = start(engine, hostKind, length);
    byte[] request = request(length, 11);

    Received received;
    try (SSLSocket socket = (SSLSocket) PKI.clientContext(ALICE).getSocketFactory().createSocket()) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.connect(address, 5_000);
      socket.setSoTimeout(60_000);
      socket.startHandshake();
      assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
      CompletableFuture<Received> reading = readAll(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      socket.shutdownOutput();
      received = reading.get(60, TimeUnit.SECONDS);
    }

    assertWholeReply(received, request);
  }

  static Stream<Arguments> engineAndProtocol() {
    return Stream.of(
        Arguments.of(TlsEngine.OPENSSL, "TLSv1.3"),
        Arguments.of(TlsEngine.OPENSSL, "TLSv1.2"),
        Arguments.of(TlsEngine.JDK, "TLSv1.3"),
        Arguments.of(TlsEngine.JDK, "TLSv1.2"));
  }

  /**
   * A client's close_notify alone, with no FIN behind it (an {@link SSLSocket} layered over a
   * plain socket does not shut the socket), still ends its direction: the host, which answers only
   * after the end of input, gets its FIN and its reply reaches the client.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engineAndProtocol")
  void closeNotifyWithoutFinEndsTheClientsDirection(TlsEngine engine, String protocol)
      throws Exception {
    InetSocketAddress address = start(engine, HostKind.REPLY_AT_END, ANSWERED_AT_END);
    byte[] request = request(ANSWERED_AT_END, 17);

    Received received;
    try (java.net.Socket plain = new java.net.Socket()) {
      plain.connect(address, 5_000);
      plain.setSoTimeout(60_000);
      try (SSLSocket socket =
          (SSLSocket)
              PKI.clientContext(ALICE)
                  .getSocketFactory()
                  .createSocket(plain, "localhost", address.getPort(), false)) {
        socket.setEnabledProtocols(new String[] {protocol});
        CompletableFuture<Received> reading = readAll(socket.getInputStream());
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        socket.shutdownOutput();
        assertThat(plain.isOutputShutdown()).as("no FIN from the client").isFalse();
        received = reading.get(60, TimeUnit.SECONDS);
      }
    }

    assertWholeReply(received, request);
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void socatClientThatEndsItsInputReceivesTheWholeReply(
      TlsEngine engine, String protocol, HostKind hostKind) throws Exception {
    assumeSocat();
    int length = hostKind == HostKind.ECHO ? ECHOED : ANSWERED_AT_END;
    InetSocketAddress address = start(engine, hostKind, length);
    byte[] request = request(length, 13);

    String version = protocol.equals("TLSv1.3") ? "TLS1.3" : "TLS1.2";
    Process socat =
        new ProcessBuilder(
                "socat", "-t", "60", "-T", "60", "-",
                "OPENSSL:127.0.0.1:" + address.getPort()
                    + ",cert=" + aliceFiles.certificate()
                    + ",key=" + aliceFiles.privateKey()
                    + ",cafile=" + serverCa
                    + ",commonname=localhost"
                    + ",openssl-min-proto-version=" + version
                    + ",openssl-max-proto-version=" + version)
            .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("socat.log").toFile()))
            .start();
    closer.track(socat::destroyForcibly);
    CompletableFuture<Received> reading = readAll(socat.getInputStream());
    try (OutputStream in = socat.getOutputStream()) {
      in.write(request);
    }
    Received received = reading.get(60, TimeUnit.SECONDS);
    assertThat(socat.waitFor(30, TimeUnit.SECONDS)).as("socat exits after the reply").isTrue();

    assertWholeReply(received, request);
  }

  private static void assumeSocat() {
    Peers.assumeAvailable(
        Peers.onPath("socat"), "socat", () -> "no socat on the PATH (Debian package socat)");
  }

  private void assertWholeReply(Received received, byte[] request) {
    await().until(() -> closed.size() == 1);
    ConnectionEvent event = closed.peek();
    assertThat(received.error()).as("the client's read ends cleanly; %s", event).isNull();
    assertThat(received.bytes()).as("bytes of the reply; %s", event).isEqualTo(request.length);
    assertThat(received.sha256()).as("SHA-256 of the reply").isEqualTo(sha256(request));
    assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_CLOSED);
    assertThat(event.error()).isNull();
    assertThat(event.bytesFromClient()).isEqualTo(request.length);
    assertThat(event.bytesToClient()).isEqualTo(request.length);
  }

  private InetSocketAddress start(TlsEngine engine, HostKind hostKind, int length) {
    TestUpstream host =
        closer.track(hostKind == HostKind.ECHO ? Upstreams.echo() : Upstreams.replyAtEnd(length));
    PemTlsContextFactory factory = closer.track(fixture.factory(engine));
    Upstream upstream = Upstream.builder("api").hosts(List.of(host.host())).build();
    LoadBalancer lb =
        closer.track(
            LoadBalancer.builder()
                .upstream(upstream, new InetSocketAddress("127.0.0.1", 0))
                .tls(factory)
                .listener(
                    new ConnectionListener() {
                      @Override
                      public void onClosed(ConnectionEvent e) {
                        closed.add(e);
                      }
                    })
                .build()
                .start());
    return lb.boundAddress("api");
  }

  private static byte[] request(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** What a client read until its input ended, and how it ended. */
  private record Received(long bytes, String sha256, IOException error) {}

  private static CompletableFuture<Received> readAll(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          MessageDigest digest;
          try {
            digest = MessageDigest.getInstance("SHA-256");
          } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
          }
          byte[] buffer = new byte[64 * 1024];
          long total = 0;
          IOException error = null;
          try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
              digest.update(buffer, 0, n);
              total += n;
            }
          } catch (IOException e) {
            error = e;
          }
          return new Received(total, HexFormat.of().formatHex(digest.digest()), error);
        },
        runnable -> new Thread(runnable, "half-close-reader").start());
  }
}
