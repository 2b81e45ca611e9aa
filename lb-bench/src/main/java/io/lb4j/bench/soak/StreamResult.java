package io.lb4j.bench.soak;

import java.util.Objects;

/**
 * What a client saw of one stream of {@link io.lb4j.testkit.data.TestData} through lb4j.
 *
 * @param outcome how the stream ended
 * @param bytesSent the bytes the client wrote (0 for a download)
 * @param bytesVerified the bytes the client received and checked against the stream's checksum;
 *     for a {@link Outcome#CORRUPT} stream, the bytes received before the check failed
 * @param localPort the client's own port, which names the connection in lb4j's events
 * @param detail what ended a stream that did not complete, or empty
 */
public record StreamResult(
    Outcome outcome, long bytesSent, long bytesVerified, int localPort, String detail) {

  /** How a stream ended, as its client saw it. */
  public enum Outcome {
    /** Every byte came back (or down) and matched the stream's checksum. */
    COMPLETED,
    /** The connection ended early, and every byte that did arrive matched. */
    CUT,
    /** A byte that arrived was not the stream's: always a failure. */
    CORRUPT,
    /** Nothing arrived for the client's read timeout: always a failure. */
    HUNG
  }

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if outcome or detail is null
   */
  public StreamResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /** Returns whether the stream completed intact. */
  public boolean completed() {
    return outcome == Outcome.COMPLETED;
  }

  /** Returns whether the stream shows a fault of lb4j whatever the cause: corrupt or hung. */
  public boolean failed() {
    return outcome == Outcome.CORRUPT || outcome == Outcome.HUNG;
  }
}
