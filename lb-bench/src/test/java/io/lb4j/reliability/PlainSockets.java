package io.lb4j.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/** Plain TCP clients of the scenarios: for hostile, failing and non-TLS connections. */
final class PlainSockets {

  private PlainSockets() {}

  /** Connects without Nagle's delay, with a bounded connect and the given read timeout. */
  static Socket open(InetSocketAddress address, Duration readTimeout) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(address, 10_000);
    s.setSoTimeout((int) readTimeout.toMillis());
    return s;
  }

  /**
   * Reads until the server closes, with an end of stream or a reset, discarding what comes before
   * (an alert, say).
   *
   * @throws SocketTimeoutException if the server neither closes nor sends for the read timeout
   */
  static void readUntilClosed(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        // whatever comes before the close
      }
    } catch (SocketTimeoutException hung) {
      throw hung;
    } catch (IOException reset) {
      // a reset is a close too
    }
  }
}
