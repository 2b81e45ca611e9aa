package io.lb4j.api;

/** Why lb4j refused a client connection before forwarding any of its bytes. */
public enum RefusalReason {
  /** The TLS handshake failed or timed out: no certificate, an untrusted one, a bad protocol. */
  TLS_FAILED,
  /** The {@link Authorizer} does not let this identity reach this upstream. */
  UNAUTHORIZED,
  /** The {@link RateLimiter} refused: too many new connections, or too many at once. */
  RATE_LIMITED,
  /**
   * The {@link RateLimiter} could not decide and refuses while it cannot: a limiter whose limits
   * live in a shared store (Redis) that is unreachable or failing over, and that is set to fail
   * closed. Not the client's fault, unlike {@link #RATE_LIMITED}: metrics and logs tell the two
   * apart.
   */
  LIMITER_UNAVAILABLE,
  /** No healthy host of the upstream could be connected. */
  NO_HOST,
  /** The listener serves no upstream for the server name (SNI) the client asked for. */
  NO_ROUTE,
  /**
   * A listener that accepts the PROXY protocol got no valid header: none, a malformed or oversized
   * one, or none within the handshake timeout.
   */
  PROTOCOL,
  /** lb4j is shutting down and takes no new connections. */
  SHUTTING_DOWN
}
