package io.lb4j.tls;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A JDK {@link SSLSocket} client for the tests. A TLS 1.3 client finishes its side of the handshake
 * before the server has judged its certificate, so "accepted" here means more than a handshake:
 * a message went through the server and came back.
 */
final class TlsClient implements AutoCloseable {

  private static final int TIMEOUT_MILLIS = 20_000;

  private final SSLSocket socket;

  private TlsClient(SSLSocket socket) {
    this.socket = socket;
  }

  /** What the client saw of one connection. */
  sealed interface Result permits Echoed, Refused {}

  /** The server completed the handshake and echoed a message back. */
  record Echoed(String protocol, String cipherSuite, X509Certificate serverCertificate)
      implements Result {}

  /** The connection failed or was closed before the echo came back. */
  record Refused(Exception cause) implements Result {}

  /**
   * Connects, completes the handshake and exchanges one message, then closes.
   *
   * @param configure adjusts the socket before the handshake (protocols, suites)
   */
  static Result exchange(SSLContext context, int port, Consumer<SSLSocket> configure) {
    try (TlsClient client = open(context, port, configure)) {
      client.echo("ping");
      SSLSession session = client.session();
      return new Echoed(session.getProtocol(), session.getCipherSuite(),
          (X509Certificate) session.getPeerCertificates()[0]);
    } catch (IOException e) {
      return new Refused(e);
    }
  }

  /**
   * Connects and completes the client's side of the handshake, then only reads: a refused client
   * learns why from the server's alert, which a write of its own could race (a server that closes
   * with a client record still unread resets the connection, and a write then fails first).
   *
   * @return the exception the connection ended with, or null if it ended cleanly
   */
  static Exception awaitRefusal(SSLContext context, int port, Consumer<SSLSocket> configure) {
    try (TlsClient client = open(context, port, configure)) {
      int read = client.socket.getInputStream().read();
      return read < 0 ? null : new IOException("the server sent data to a refused client");
    } catch (IOException e) {
      return e;
    }
  }

  static Result exchange(SSLContext context, int port) {
    return exchange(context, port, socket -> {});
  }

  /** Connects and completes the client's side of the handshake, and keeps the connection open. */
  static TlsClient open(SSLContext context, int port, Consumer<SSLSocket> configure)
      throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    try {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      configure.accept(socket);
      socket.startHandshake();
      return new TlsClient(socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Sends a message and reads it back from the echo server. */
  void echo(String message) throws IOException {
    byte[] sent = message.getBytes(StandardCharsets.UTF_8);
    OutputStream out = socket.getOutputStream();
    out.write(sent);
    out.flush();
    InputStream in = socket.getInputStream();
    byte[] back = in.readNBytes(sent.length);
    if (!Arrays.equals(back, sent)) {
      throw new EOFException("the server closed the connection before echoing '" + message + "'");
    }
  }

  /** The certificate the server presented, as this client saw it. */
  X509Certificate serverCertificate() throws IOException {
    return (X509Certificate) socket.getSession().getPeerCertificates()[0];
  }

  SSLSession session() {
    return socket.getSession();
  }

  SSLSocket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
