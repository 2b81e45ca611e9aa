package io.lb4j.testkit.upstream;

import io.lb4j.testkit.data.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/** Blocking loopback clients for the upstream tests; every read is bounded by a timeout. */
final class Clients {

  static final int READ_TIMEOUT_MILLIS = 10_000;

  private Clients() {}

  static Socket connect(TestUpstream upstream) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", upstream.port()), READ_TIMEOUT_MILLIS);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    return socket;
  }

  /**
   * Writes the first {@code bytes} of TestData on a thread of its own, then shuts the output, so
   * the caller can read at the same time without the two sides blocking each other.
   */
  static CompletableFuture<Void> sendTestDataThenShutdown(Socket socket, long bytes) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread writer = new Thread(() -> {
      try {
        TestData.write(socket.getOutputStream(), bytes);
        socket.shutdownOutput();
        done.complete(null);
      } catch (IOException | RuntimeException e) {
        done.completeExceptionally(e);
      }
    }, "test-writer");
    writer.setDaemon(true);
    writer.start();
    return done;
  }

  static TestData.Checksum readToEnd(Socket socket) {
    try {
      return TestData.checksum().update(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
