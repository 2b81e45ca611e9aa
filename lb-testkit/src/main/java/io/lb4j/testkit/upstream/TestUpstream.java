package io.lb4j.testkit.upstream;

import io.lb4j.api.Host;

/**
 * A real TCP server on a loopback port, for tests: the host an lb4j upstream forwards to.
 *
 * <pre>{@code
 * try (EchoUpstream echo = Upstreams.echo()) {
 *   Upstream upstream = Upstream.builder("echo").hosts(List.of(echo.host())).build();
 *   // ... connect through lb4j, then:
 *   await().until(() -> echo.openConnections() == 0);
 * }
 * }</pre>
 *
 * <p>A test upstream starts listening when it is made. {@link #stop()} kills it as a crashed host
 * would look from the network (listener closed, open connections reset) and {@link #restart()}
 * brings it back on the same port. {@link #close()} ends it for good and leaves no thread or
 * socket behind.
 *
 * <p>All methods are thread-safe and may be called from any thread; counters are read without
 * waiting, so use Awaitility (or similar) to wait for them to reach a value.
 */
public interface TestUpstream extends AutoCloseable {

  /**
   * Returns where this upstream listens.
   *
   * @return {@code 127.0.0.1:port()}, the same across {@link #restart()}
   */
  Host host();

  /**
   * Returns the loopback port this upstream listens on.
   *
   * @return the port, the same across {@link #restart()}
   */
  int port();

  /**
   * Returns how many connections this upstream accepted since it was made, across restarts.
   *
   * @return the count, not negative
   */
  int acceptedConnections();

  /**
   * Returns how many accepted connections are open now: accepted and not yet closed by either
   * side. A connection counts as closed once this upstream has closed its socket.
   *
   * @return the count, not negative
   */
  int openConnections();

  /**
   * Kills this upstream as a crashed host would look: closes the listener, so new connects are
   * refused, and resets every open connection. Returns once all of it is done. Does nothing if the
   * upstream is already stopped or closed.
   */
  void stop();

  /**
   * Listens again on the same port after {@link #stop()}, as a host that comes back. Does nothing
   * if the upstream is running.
   *
   * @throws IllegalStateException if the upstream was closed
   * @throws java.io.UncheckedIOException if the port cannot be bound again (another process took
   *     it while this upstream was stopped)
   */
  void restart();

  /**
   * Stops this upstream for good, as {@link #stop()} does, and releases its thread. Idempotent.
   * Once it returns, no thread or socket of this upstream remains.
   */
  @Override
  void close();
}
