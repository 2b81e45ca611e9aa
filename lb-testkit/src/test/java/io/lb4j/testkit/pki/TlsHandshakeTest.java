package io.lb4j.testkit.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.lb4j.testkit.junit.Peers;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS handshakes over loopback with the contexts and files TestPki makes. */
class TlsHandshakeTest {

  private static final TestPki PKI = TestPki.create();
  private static final IssuedCertificate RSA_SERVER = PKI.server(KeyType.RSA_2048);
  private static final int TIMEOUT_MILLIS = 10_000;

  private SSLServerSocket listener;
  private CompletableFuture<String> serverSide;

  @TempDir
  Path dir;

  @BeforeEach
  void listen() throws IOException {
    SSLContext context = PKI.serverContext(PKI.server());
    listener = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
    listener.setNeedClientAuth(true);
    listener.setSoTimeout(TIMEOUT_MILLIS);
    serverSide = new CompletableFuture<>();
    Thread acceptor = new Thread(this::acceptOne, "test-tls-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void close() throws IOException {
    listener.close();
  }

  @Test
  void mutualHandshakeSucceedsAndTheServerSeesTheClientSubject() throws Exception {
    IssuedCertificate alice = PKI.client(ClientSpec.commonName("alice").groups("ops").build());

    try (SSLSocket client = connect(PKI.clientContext(alice))) {
      client.startHandshake();
      client.getOutputStream().write(1);

      assertThat(serverSide.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
          .isEqualTo("CN=alice,OU=ops,O=lb4j test");
    }
  }

  @Test
  void serverTrustingTheRootAcceptsAClientOfAnIntermediate() throws Exception {
    IssuedCertificate ivy = PKI.intermediate("issuing CA").client("ivy");

    try (SSLSocket client = connect(PKI.clientContext(ivy))) {
      client.startHandshake();
      client.getOutputStream().write(1);

      assertThat(serverSide.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
          .isEqualTo("CN=ivy,O=lb4j test");
    }
  }

  @Test
  void clientVerifiesTheServerAndItsLoopbackAddress() throws Exception {
    try (SSLSocket client = connect(PKI.clientContext(PKI.client("alice")))) {
      SSLParameters parameters = client.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      client.setSSLParameters(parameters);

      assertThatCode(client::startHandshake).doesNotThrowAnyException();
    }
  }

  @Test
  void serverRefusesAClientWithoutCertificate() throws Exception {
    try (SSLSocket client = connect(PKI.clientContext())) {
      attemptExchange(client);

      assertServerRefused();
    }
  }

  @Test
  void serverRefusesAnExpiredClientThatStillPresentsItsCertificate() throws Exception {
    try (SSLSocket client = connect(PKI.clientContext(PKI.expiredClient("old")))) {
      attemptExchange(client);

      assertServerRefused();
    }
  }

  @Test
  void serverRefusesAClientOfAnotherCa() throws Exception {
    try (SSLSocket client = connect(PKI.clientContext(TestPki.create().client("eve")))) {
      attemptExchange(client);

      assertServerRefused();
    }
  }

  @Test
  void nettyJdkProviderLoadsEveryKeyFormat() throws Exception {
    loadWithNetty(SslProvider.JDK);
  }

  @Test
  void nettyOpensslProviderLoadsEveryKeyFormat() throws Exception {
    Peers.assumeAvailable(OpenSsl.isAvailable(), "BoringSSL (netty-tcnative)",
        () -> "it does not load here: " + OpenSsl.unavailabilityCause());

    loadWithNetty(SslProvider.OPENSSL);
  }

  private void loadWithNetty(SslProvider provider) throws Exception {
    Path ca = PKI.writeCaPem(dir.resolve("ca.pem"));
    for (IssuedCertificate server : new IssuedCertificate[] {PKI.server(), RSA_SERVER}) {
      for (KeyFormat format : KeyFormat.values()) {
        PemFiles files = server.writePem(dir, server.privateKey().getAlgorithm() + format, format);

        SslContext context = SslContextBuilder
            .forServer(files.certificate().toFile(), files.privateKey().toFile())
            .trustManager(ca.toFile())
            .clientAuth(ClientAuth.REQUIRE)
            .sslProvider(provider)
            .build();
        try {
          assertThat(context.isServer()).as(files.privateKey().toString()).isTrue();
        } finally {
          ReferenceCountUtil.release(context);
        }
      }
    }
  }

  private SSLSocket connect(SSLContext context) throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory()
        .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
    socket.setSoTimeout(TIMEOUT_MILLIS);
    return socket;
  }

  // With TLS 1.3 the client finishes its handshake before the server has judged its certificate,
  // so the refusal may reach the client at its handshake or at its first read; the server's
  // verdict is what the tests check.
  private static void attemptExchange(SSLSocket client) {
    try {
      client.startHandshake();
      client.getOutputStream().write(1);
      client.getInputStream().read();
    } catch (IOException expected) {
      // Either way the connection is over.
    }
  }

  private void assertServerRefused() throws InterruptedException {
    try {
      serverSide.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      throw new AssertionError("the server accepted the client");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(SSLHandshakeException.class);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the server did not finish its handshake", e);
    }
  }

  private void acceptOne() {
    try (SSLSocket accepted = (SSLSocket) listener.accept()) {
      accepted.setSoTimeout(TIMEOUT_MILLIS);
      accepted.startHandshake();
      String subject = accepted.getSession().getPeerPrincipal().getName();
      accepted.getInputStream().read();
      serverSide.complete(subject);
    } catch (IOException | RuntimeException e) {
      serverSide.completeExceptionally(e);
    }
  }
}
