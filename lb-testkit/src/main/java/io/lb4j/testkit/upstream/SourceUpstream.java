package io.lb4j.testkit.upstream;

/**
 * A {@link TestUpstream} that, on each connection, sends the first bytes of
 * {@link io.lb4j.testkit.data.TestData} and then ends its side in a chosen way.
 *
 * <pre>{@code
 * try (SourceUpstream source = Upstreams.source(1 << 20, SourceUpstream.Ending.SHUTDOWN_OUTPUT);
 *      Socket socket = new Socket("127.0.0.1", source.port())) {
 *   TestData.Checksum received = TestData.checksum().update(socket.getInputStream());
 *   assertThat(received.value()).isEqualTo(TestData.checksumOf(1 << 20));
 * }
 * }</pre>
 *
 * <p>It reads whatever the client sends while it writes, counting it, so a client's writes never
 * block on it. Thread-safe.
 */
public interface SourceUpstream extends TestUpstream {

  /**
   * How a source ends its side once it has sent its bytes.
   */
  enum Ending {
    /**
     * Close the connection. Bytes the client sends after that are answered with a reset, as TCP
     * does for any closed socket.
     */
    CLOSE,
    /**
     * Shut the output only (send FIN), keep reading until the client's end of the stream, then
     * close: the server half of a half-close.
     */
    SHUTDOWN_OUTPUT
  }

  /**
   * Returns how many bytes clients sent, over all connections since this upstream was made.
   *
   * @return the count, not negative
   */
  long bytesReceived();
}
