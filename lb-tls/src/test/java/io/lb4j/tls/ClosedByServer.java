package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Tells a connection the server ended from one that merely went quiet. A client that waits for
 * a refusal with a read timeout fails with an {@link IOException} either way; these checks accept
 * only an end the server caused: end of stream, an alert, a reset or a broken pipe, seen well
 * before the client's own timeout.
 */
final class ClosedByServer {

  /** The read timeout of the client sockets checked here. */
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);

  /** How long the server may take to close before the client counts it as a hang. */
  static final Duration PROMPT = CLIENT_TIMEOUT.dividedBy(2);

  /** A step of the client that ends when the server closes, by returning or by throwing. */
  @FunctionalInterface
  interface ClientSteps {
    void run() throws IOException;
  }

  private ClosedByServer() {}

  /**
   * Runs {@code steps} and checks that they ended because the server closed the connection.
   *
   * @return how the client saw the end: the exception, or null for a clean end of stream
   * @throws AssertionError if the steps hit the read timeout or took longer than {@link #PROMPT}
   */
  static IOException whileRunning(ClientSteps steps) {
    long start = System.nanoTime();
    IOException seen = null;
    try {
      steps.run();
    } catch (IOException e) {
      seen = e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(timedOut(seen))
        .as("the client timed out waiting instead of being closed by lb4j: %s", seen)
        .isFalse();
    assertThat(took).as("time until lb4j closed the connection (%s)", seen).isLessThan(PROMPT);
    return seen;
  }

  /**
   * Reads from {@code socket} until the server closes it, and checks that it did.
   *
   * @return the exception the read ended with, or null for a clean end of stream
   */
  static IOException whileReading(Socket socket) {
    return whileRunning(() -> {
      socket.setSoTimeout((int) CLIENT_TIMEOUT.toMillis());
      while (socket.getInputStream().read() >= 0) {
        // an alert or other bytes may come before the close
      }
    });
  }

  private static boolean timedOut(Throwable seen) {
    for (Throwable t = seen; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }
}
