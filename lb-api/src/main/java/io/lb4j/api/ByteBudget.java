package io.lb4j.api;

/**
 * The bytes one client identity may move in one direction, shared by all of its connections: a
 * bandwidth limit that lb4j enforces by back-pressure. A {@link RateLimiter} hands one out per
 * identity and direction ({@link RateLimiter#bytesFromClient}, {@link RateLimiter#bytesToClient});
 * lb4j reports every read of the identity's connections to it and, when the budget is overdrawn,
 * stops reading from that connection for the time it returns, then reads on. Nothing is dropped
 * and nothing is buffered beyond the one read that overdrew the budget; the connection's peer
 * waits in TCP's own flow control.
 *
 * <pre>{@code
 * // A token bucket of Bucket4j, allowed to go into debt by the bytes already read:
 * ByteBudget budget = bucket::consumeIgnoringRateLimits;
 * }</pre>
 *
 * <h2>Threading</h2>
 * {@link #spend} is called on the event loop of each of the identity's connections, concurrently
 * from several loops for one shared budget: it must be thread-safe, must not block and, being
 * called for every read, should not allocate.
 */
@FunctionalInterface
public interface ByteBudget {

  /**
   * Counts bytes that one of the identity's connections has just read and forwarded.
   *
   * @param bytes how many, positive
   * @return 0 to go on reading, or how many nanoseconds that connection should pause its reads so
   *     that the identity keeps to its rate (the time the budget needs to be out of debt)
   */
  long spend(long bytes);
}
