package io.lb4j.testkit.upstream;

import java.util.List;

/**
 * A {@link TestUpstream} that reads and discards everything, counting the bytes and their CRC32C
 * per connection, so a test can check what arrived against {@link io.lb4j.testkit.data.TestData}.
 *
 * <pre>{@code
 * try (SinkUpstream sink = Upstreams.sink()) {
 *   // ... send TestData through lb4j to the sink, close, then:
 *   await().until(() -> sink.openConnections() == 0);
 *   SinkUpstream.Received received = sink.connections().get(0);
 *   assertThat(received.checksum()).isEqualTo(TestData.checksumOf(received.bytes()));
 * }
 * }</pre>
 *
 * <p>It closes a connection when the client's end of the stream arrives, and never writes.
 * Thread-safe.
 */
public interface SinkUpstream extends TestUpstream {

  /**
   * Returns how many bytes arrived, over all connections since this upstream was made.
   *
   * @return the count, not negative
   */
  long bytesReceived();

  /**
   * Returns what arrived on each connection since this upstream was made, open or closed, in the
   * order they were accepted. Each entry is a consistent snapshot: its checksum is that of exactly
   * its bytes. The sink keeps one small entry per connection for its whole life.
   *
   * @return a new immutable list
   */
  List<Received> connections();

  /**
   * What one connection delivered so far.
   *
   * @param bytes how many bytes arrived
   * @param checksum the CRC32C of those bytes, comparable with
   *     {@link io.lb4j.testkit.data.TestData#checksumOf(long)}
   */
  record Received(long bytes, long checksum) {}
}
