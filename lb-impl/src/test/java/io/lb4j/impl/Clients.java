package io.lb4j.impl;

import io.lb4j.testkit.data.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Blocking loopback clients for the forwarding tests. */
final class Clients {
  private Clients() {}

  static Socket connect(InetSocketAddress address) throws IOException {
    Socket s = new Socket();
    s.connect(address, 5_000);
    s.setSoTimeout(60_000);
    return s;
  }

  /**
   * Sends {@code length} bytes of test data and reads the same number back at the same time,
   * returning the checksum of what came back.
   */
  static long echoRoundTrip(Socket socket, long length) throws Exception {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<Void> sent =
          CompletableFuture.runAsync(
              () -> {
                try {
                  send(socket.getOutputStream(), length);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              writer);
      long checksum = receive(socket.getInputStream(), length);
      sent.join();
      return checksum;
    } finally {
      writer.shutdownNow();
    }
  }

  static void send(OutputStream out, long length) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long offset = 0;
    while (offset < length) {
      int n = (int) Math.min(buf.length, length - offset);
      TestData.fill(buf, offset);
      out.write(buf, 0, n);
      offset += n;
    }
    out.flush();
  }

  /** Reads exactly {@code length} bytes and returns their checksum; fails on an early end. */
  static long receive(InputStream in, long length) throws IOException {
    byte[] buf = new byte[64 * 1024];
    TestData.Checksum checksum = TestData.checksum();
    long remaining = length;
    while (remaining > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
      if (n < 0) {
        throw new IOException("stream ended after " + (length - remaining) + " of " + length + " bytes");
      }
      checksum.update(buf, 0, n);
      remaining -= n;
    }
    return checksum.value();
  }

  /** Reads until the end of stream and returns how many bytes came. */
  static long drain(InputStream in) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      total += n;
    }
    return total;
  }
}
