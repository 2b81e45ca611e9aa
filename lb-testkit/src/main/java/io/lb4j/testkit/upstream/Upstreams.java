package io.lb4j.testkit.upstream;

import io.lb4j.api.Host;
import java.util.Objects;

/**
 * Real TCP servers on ephemeral loopback ports, started and ready when returned, for tests of
 * anything that forwards bytes to hosts.
 *
 * <pre>{@code
 * try (EchoUpstream echo = Upstreams.echo();
 *      TestUpstream dead = Upstreams.blackHole()) {
 *   Upstream upstream = Upstream.builder("api")
 *       .hosts(List.of(echo.host(), dead.host(), Upstreams.refusing()))
 *       .build();
 *   // ...
 * }
 * }</pre>
 *
 * <p>Each server listens on {@code 127.0.0.1} and is served by one daemon thread named
 * {@code lb4j-testkit-<kind>-<port>}, whatever the number of connections. Close every server
 * (try-with-resources) so that its thread and sockets go away. All methods are thread-safe.
 */
public final class Upstreams {

  private Upstreams() {}

  /**
   * Starts an upstream that writes back every byte it reads, and mirrors a client's half-close
   * once everything is written back.
   *
   * @return a running echo upstream
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static EchoUpstream echo() {
    return started(new EchoServer());
  }

  /**
   * Starts an echo upstream on another loopback address, or on a chosen port: what a test of DNS
   * discovery needs, where several hosts share one port on 127.0.0.2, 127.0.0.3...
   *
   * @param address a loopback address (Linux answers the whole of 127.0.0.0/8)
   * @param port the port, or 0 for an ephemeral one
   * @return a running echo upstream
   * @throws IllegalArgumentException if the address is not a loopback address
   * @throws java.io.UncheckedIOException if the port cannot be bound
   */
  public static EchoUpstream echoOn(java.net.InetAddress address, int port) {
    Objects.requireNonNull(address, "address");
    if (!address.isLoopbackAddress()) {
      throw new IllegalArgumentException("address must be a loopback address but was " + address);
    }
    return started(new EchoServer(address, port));
  }

  /**
   * Starts an upstream that reads and discards everything, counting bytes and a CRC32C per
   * connection.
   *
   * @return a running sink upstream
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static SinkUpstream sink() {
    return started(new SinkServer());
  }

  /**
   * Starts an upstream that answers only after the client's end of input: it keeps every byte of a
   * connection until the client half-closes, then writes them all back in order, ends its side
   * and closes. A connection that sends more than {@code limit} bytes is reset.
   *
   * @param limit the most bytes kept per connection, positive
   * @return a running upstream of that kind
   * @throws IllegalArgumentException if {@code limit} is not positive
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static TestUpstream replyAtEnd(int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive but was " + limit);
    }
    return started(new ReplyAtEndServer(limit));
  }

  /**
   * Starts an upstream that sends, on each connection, the first {@code bytes} bytes of
   * {@link io.lb4j.testkit.data.TestData} and then ends its side as {@code ending} says, reading
   * and counting whatever the client sends meanwhile.
   *
   * @param bytes how many bytes each connection receives, not negative
   * @param ending how the upstream ends its side once they are sent, not null
   * @return a running source upstream
   * @throws IllegalArgumentException if {@code bytes} is negative
   * @throws NullPointerException if {@code ending} is null
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static SourceUpstream source(long bytes, SourceUpstream.Ending ending) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must not be negative but was " + bytes);
    }
    Objects.requireNonNull(ending, "ending");
    return started(new SourceServer(bytes, ending));
  }

  /**
   * Starts an upstream that accepts connections and then never reads nor writes, as a hung host.
   * It cannot see clients leave, so its connections count as open until it stops.
   *
   * @return a running black-hole upstream
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static TestUpstream blackHole() {
    return started(new BlackHoleServer());
  }

  /**
   * Starts an upstream that reads {@code n} bytes of each connection and then resets it
   * (SO_LINGER 0 and close), as a host that crashes mid-stream. With {@code n} 0 it resets every
   * connection as soon as it accepts it.
   *
   * @param n how many bytes to read before the reset, not negative
   * @return a running resetting upstream
   * @throws IllegalArgumentException if {@code n} is negative
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static TestUpstream resetAfter(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must not be negative but was " + n);
    }
    return started(new ResetAfterServer(n));
  }

  /**
   * Starts a listening port whose accept queue is full, so that connects to it get no answer at
   * all and time out, as a host behind a dropping firewall or overloaded past its backlog. Its
   * counters stay at 0. Relies on Linux's behaviour for a full accept queue (the SYN is dropped);
   * takes a fraction of a second to set up, while it proves the queue full.
   *
   * @return a running unresponsive upstream
   * @throws IllegalStateException if the platform answers connects beyond the backlog
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static TestUpstream unresponsive() {
    UnresponsivePort port = new UnresponsivePort();
    port.start();
    return port;
  }

  /**
   * Returns a loopback host that refuses connections (the kernel answers with a reset). The port
   * is held by a bound socket that never listens, so it cannot be taken by a later listener and
   * keeps refusing; that socket stays open for the life of the JVM, one per call.
   *
   * @return a host on {@code 127.0.0.1} that refuses connects, a different one on each call
   * @throws java.io.UncheckedIOException if no loopback port can be bound
   */
  public static Host refusing() {
    return RefusingPorts.reserve();
  }

  private static <S extends LoopbackServer> S started(S server) {
    server.start();
    return server;
  }
}
