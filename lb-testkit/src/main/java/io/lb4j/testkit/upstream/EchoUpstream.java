package io.lb4j.testkit.upstream;

/**
 * A {@link TestUpstream} that writes back every byte it reads, in order.
 *
 * <pre>{@code
 * try (EchoUpstream echo = Upstreams.echo();
 *      Socket socket = new Socket("127.0.0.1", echo.port())) {
 *   socket.getOutputStream().write("ping".getBytes(US_ASCII));
 *   socket.shutdownOutput();
 *   assertThat(socket.getInputStream().readAllBytes()).asString(US_ASCII).isEqualTo("ping");
 * }
 * }</pre>
 *
 * <p>It honours half-close: when the client shuts its output, the echo finishes writing back what
 * it read, then shuts its own output and closes the connection. It stops reading while it has
 * 32 KiB not yet written back, so a client that does not read is pushed back rather than buffered
 * without bound. Thread-safe.
 */
public interface EchoUpstream extends TestUpstream {

  /**
   * Returns how many bytes were written back, over all connections since this upstream was made.
   *
   * @return the count, not negative
   */
  long bytesEchoed();
}
