package io.lb4j.api;

/** How a connection ended. Exactly one reason is reported per connection. */
public enum CloseReason {
  /** lb4j refused the client before forwarding; {@link ConnectionEvent#refusal()} says why. */
  REFUSED,
  /** The client closed its side, and the exchange finished normally. */
  CLIENT_CLOSED,
  /** The upstream host closed its side, and the exchange finished normally. */
  UPSTREAM_CLOSED,
  /** The client's connection failed (reset, TLS error after the handshake, I/O error). */
  CLIENT_ERROR,
  /** The upstream connection failed (reset, I/O error). */
  UPSTREAM_ERROR,
  /** No bytes flowed in either direction for the idle timeout. */
  IDLE_TIMEOUT,
  /** The connection was closed by its owner or by lb4j's shutdown after the drain timeout. */
  SHUTDOWN,
  /**
   * The client's certificate, or one above it in its chain, was revoked while the connection was
   * open, and lb4j is set to close such connections ({@code onRevoke} {@code close}); the event's
   * {@link ConnectionEvent#error()} says which certificate.
   */
  REVOKED,

  /**
   * An operator disabled the host the connection was forwarded to, and the grace period given with
   * that order ran out before the connection ended.
   */
  ADMIN_DISABLED
}
