package io.lb4j.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The one record lb4j emits when a client connection ends, however it ends: the access-log line
 * and the metrics are made from it.
 *
 * @param connection the connection, with its identity and upstream as far as they were known
 * @param host the host it was forwarded to, or null if it never reached one
 * @param bytesFromClient application bytes received from the client (after TLS)
 * @param bytesToClient application bytes sent to the client (before TLS)
 * @param duration from accept to close
 * @param handshakeTime how long the TLS handshake took; zero without TLS or when it did not end
 * @param reason how it ended
 * @param refusal why it was refused, when {@code reason} is {@link CloseReason#REFUSED}; else null
 * @param error the error that ended it, when there was one; else null
 */
public record ConnectionEvent(
    ConnectionInfo connection,
    Host host,
    long bytesFromClient,
    long bytesToClient,
    Duration duration,
    Duration handshakeTime,
    CloseReason reason,
    Refuse refusal,
    Throwable error) {

  /**
   * Checks the parts that are never null.
   *
   * @throws NullPointerException if connection, duration, handshakeTime or reason is null
   */
  public ConnectionEvent {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(handshakeTime, "handshakeTime");
    Objects.requireNonNull(reason, "reason");
  }

  /** Returns the host, if the connection reached one. */
  public Optional<Host> hostIfAny() {
    return Optional.ofNullable(host);
  }

  /** Returns the refusal, if the connection was refused. */
  public Optional<Refuse> refusalIfAny() {
    return Optional.ofNullable(refusal);
  }
}
