package io.lb4j.api;

/**
 * Hears about the life of each client connection: for access logs, metrics and tests. Every
 * method has an empty default; implement the ones you need.
 *
 * <pre>{@code
 * ConnectionListener log = new ConnectionListener() {
 *   public void onClosed(ConnectionEvent e) {
 *     accessLog.info("{} {} {} in={} out={} {}", e.connection().identity().displayName(),
 *         e.connection().upstream(), e.host(), e.bytesFromClient(), e.bytesToClient(), e.reason());
 *   }
 * };
 * }</pre>
 *
 * <h2>Order and threading</h2>
 * For one connection the calls come in order, on that connection's event-loop thread:
 * {@link #onAccepted}, then either {@link #onRefused} or {@link #onConnected}, and always exactly
 * one {@link #onClosed} last (a refused connection is also closed). Calls for different connections
 * run concurrently. A listener must be thread-safe, must not block and should be cheap: it runs on
 * the path of every connection. An exception it throws is logged and otherwise ignored.
 */
public interface ConnectionListener {

  /** A listener that ignores everything. */
  ConnectionListener NONE = new ConnectionListener() {};

  /**
   * A client connected; nothing is known of it yet but its addresses.
   *
   * @param connection the new connection
   */
  default void onAccepted(ConnectionInfo connection) {}

  /**
   * The client was refused; {@link #onClosed} follows.
   *
   * @param connection the connection, with its identity if the handshake completed
   * @param refusal why
   */
  default void onRefused(ConnectionInfo connection, Refuse refusal) {}

  /**
   * The upstream connection to {@code host} is up and bytes start to flow.
   *
   * @param connection the connection, routed and authenticated
   * @param host the chosen host
   */
  default void onConnected(ConnectionInfo connection, Host host) {}

  /**
   * The connection ended; called exactly once per accepted connection.
   *
   * @param event what happened, with bytes each way and the reason
   */
  default void onClosed(ConnectionEvent event) {}

  /**
   * Returns a listener that calls {@code first}, then {@code second}.
   *
   * @param first the first listener
   * @param second the second listener
   * @return the combined listener
   */
  static ConnectionListener both(ConnectionListener first, ConnectionListener second) {
    return new ConnectionListener() {
      @Override
      public void onAccepted(ConnectionInfo c) {
        first.onAccepted(c);
        second.onAccepted(c);
      }

      @Override
      public void onRefused(ConnectionInfo c, Refuse r) {
        first.onRefused(c, r);
        second.onRefused(c, r);
      }

      @Override
      public void onConnected(ConnectionInfo c, Host h) {
        first.onConnected(c, h);
        second.onConnected(c, h);
      }

      @Override
      public void onClosed(ConnectionEvent e) {
        first.onClosed(e);
        second.onClosed(e);
      }
    };
  }
}
