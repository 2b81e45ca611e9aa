package io.lb4j.reliability;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A test PKI with lb4j's server material written as PEM files in a folder, factories over those
 * files, and clients: trusted (alice) and untrusted (a certificate of another CA).
 */
final class MutualTls {

  final TestPki pki = TestPki.create();
  final IssuedCertificate alice = pki.client("alice");
  final Path dir;
  private final PemFiles server;
  private final Path clientCa;
  private final SSLContext trusted;
  private final SSLContext untrusted;

  MutualTls(Path dir) {
    this.dir = dir;
    this.server = pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    this.clientCa = pki.writeCaPem(dir.resolve("client-ca.pem"));
    this.trusted = pki.clientContext(alice);
    this.untrusted = pki.clientContext(TestPki.create().client("mallory"));
  }

  /** Returns a factory over the folder's files, on {@code engine} (which must be available). */
  PemTlsContextFactory factory(TlsEngine engine) {
    if (engine == TlsEngine.OPENSSL && !OpenSsl.isAvailable()) {
      throw new IllegalStateException(
          "BoringSSL does not load here: " + OpenSsl.unavailabilityCause());
    }
    return PemTlsContextFactory.builder()
        .certificateChain(server.certificate())
        .privateKey(server.privateKey())
        .clientCa(clientCa)
        .engine(engine)
        .build();
  }

  /** Issues a new server certificate (new key) and writes it over the folder's files. */
  IssuedCertificate rewriteServerCertificate() {
    IssuedCertificate next = pki.server("localhost", "127.0.0.1");
    next.writePem(dir, "server");
    return next;
  }

  /** Writes the CA of another PKI over the client CA file: alice is no longer trusted by it. */
  void rewriteClientCaWithAnotherCa() {
    TestPki.create().writeCaPem(clientCa);
  }

  /** Writes the half of the server certificate file, as a copy caught mid-write would be. */
  void truncateServerCertificate() throws java.io.IOException {
    byte[] pem = java.nio.file.Files.readAllBytes(server.certificate());
    java.nio.file.Files.write(server.certificate(), java.util.Arrays.copyOf(pem, pem.length / 2));
  }

  /** A context for alice, whose certificate lb4j trusts. */
  SSLContext trusted() {
    return trusted;
  }

  /** A context for mallory, whose certificate comes from another CA; trusts lb4j's server. */
  SSLContext untrusted() {
    return untrusted;
  }

  /** Connects and completes the client's side of the handshake; closes the socket on failure. */
  static SSLSocket open(SSLContext context, InetSocketAddress address, Duration readTimeout)
      throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    try {
      // Without it, Nagle holds the second record of a flight for the peer's delayed ACK.
      socket.setTcpNoDelay(true);
      socket.connect(address, 10_000);
      socket.setSoTimeout((int) readTimeout.toMillis());
      socket.startHandshake();
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }
}
