package io.lb4j.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** A blocking TLS client for tests: connect, say a line, hear it back. */
final class TlsClient {

  private TlsClient() {}

  /** Connects and completes the handshake; {@code serverName} is sent as SNI when not null. */
  static SSLSocket connect(InetSocketAddress address, SSLContext context, String serverName) {
    try {
      SSLSocket s = (SSLSocket) context.getSocketFactory()
          .createSocket(address.getAddress(), address.getPort());
      s.setSoTimeout(10_000);
      if (serverName != null) {
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(serverName)));
        s.setSSLParameters(p);
      }
      s.startHandshake();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code text} and reads as many bytes back. */
  static String roundTrip(SSLSocket s, String text) {
    try {
      byte[] out = text.getBytes(StandardCharsets.UTF_8);
      s.getOutputStream().write(out);
      s.getOutputStream().flush();
      byte[] in = s.getInputStream().readNBytes(out.length);
      return new String(in, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns whether the server ended the connection without sending a byte: a write and then a
   * read find it closed or reset.
   */
  static boolean closedWithoutAnswer(SSLSocket s) {
    try {
      s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
    } catch (SSLException | SocketException closedAlready) {
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      InputStream in = s.getInputStream();
      return in.read() == -1;
    } catch (SSLException | SocketException closed) {
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
