package io.lb4j.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Admits or refuses a client's new connection, for example with a token bucket per identity or a
 * cap on its concurrent connections. lb4j asks it after the {@link Authorizer} admitted the
 * connection and before a host is chosen.
 *
 * <pre>{@code
 * CompletionStage<Decision> d = limiter.acquire(identity, "api");
 * // ... when an admitted connection closes, whatever the way:
 * limiter.release(identity, "api");
 * }</pre>
 *
 * <h2>Contract</h2>
 * For every {@link #acquire} whose stage completes with {@link Admit}, lb4j calls
 * {@link #release} exactly once, when that connection closes. For a refusal, or a stage that
 * fails, it never calls {@code release}. A stage that completes exceptionally refuses the
 * connection.
 *
 * <h2>Threading</h2>
 * {@code acquire} is called on the connection's event-loop thread, concurrently for different
 * connections: it must be thread-safe and must not block. A limiter that needs I/O (a shared
 * store) returns an incomplete stage and completes it from its own thread; lb4j moves back to the
 * event loop itself. A local limiter returns an already completed stage, and may return the same
 * instance every time (see {@link #ADMITTED}). {@code release} must not block either.
 *
 * <h2>Bandwidth</h2>
 * A limiter may also limit an identity's bytes per second: {@link #bytesFromClient} and
 * {@link #bytesToClient} hand out a {@link ByteBudget} shared by all of the identity's
 * connections, which lb4j enforces by pausing reads. Both return null (no limit) by default.
 */
public interface RateLimiter {

  /** A completed stage holding {@link Decision#admit()}, to return without allocating. */
  CompletionStage<Decision> ADMITTED = CompletableFuture.completedStage(Decision.admit());

  /**
   * Decides whether {@code identity} may open a new connection to {@code upstream}.
   *
   * @param identity the client's verified identity ({@link ClientIdentity#ANONYMOUS} without TLS)
   * @param upstream the name of the upstream the connection is routed to
   * @return a stage completing with admit, or with a {@link Refuse} of reason
   *     {@link RefusalReason#RATE_LIMITED} and a retry-after where one is known
   */
  CompletionStage<Decision> acquire(ClientIdentity identity, String upstream);

  /**
   * Gives back what an admitted {@link #acquire} took, such as a concurrent-connection slot.
   *
   * @param identity the identity given to {@code acquire}
   * @param upstream the upstream given to {@code acquire}
   */
  default void release(ClientIdentity identity, String upstream) {}

  /**
   * Returns the budget shared by every connection of {@code identity} for the bytes they receive
   * from the client (client to host), or null when those bytes are not limited, which is the
   * default. lb4j asks once per admitted connection, on its event loop, after {@link #acquire}
   * admitted it; the connection then {@linkplain ByteBudget#spend spends} from it until it closes.
   * Must not block.
   *
   * @param identity the identity given to {@code acquire}
   * @return the shared budget, or null for no bandwidth limit
   */
  default ByteBudget bytesFromClient(ClientIdentity identity) {
    return null;
  }

  /**
   * Returns the budget shared by every connection of {@code identity} for the bytes they send to
   * the client (host to client), or null when those bytes are not limited, which is the default.
   * Asked as {@link #bytesFromClient} is.
   *
   * @param identity the identity given to {@code acquire}
   * @return the shared budget, or null for no bandwidth limit
   */
  default ByteBudget bytesToClient(ClientIdentity identity) {
    return null;
  }

  /** Returns a limiter that admits every connection. */
  static RateLimiter unlimited() {
    return (identity, upstream) -> ADMITTED;
  }
}
