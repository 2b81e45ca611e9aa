package io.lb4j.api;

import java.util.Optional;
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

  /**
   * Returns what this limiter holds for one client now, for an operator: the tokens left in its
   * bucket and the connections it holds. Reading does not count as activity of the client. Called
   * from an administration thread, never from an event loop; it may block briefly.
   *
   * <p>The default, for a limiter that keeps nothing it can show, returns empty.
   *
   * @param client the client as this limiter keys it; lb4j's limiters key clients by the
   *     certificate's common name ({@link ClientIdentity#commonName()})
   * @return the state, also for a client the limiter does not remember (then as a new client would
   *     start), or empty when this limiter cannot tell
   * @throws IllegalStateException if the store the limiter keeps clients in (a shared one, such as
   *     Redis) cannot be read now; the message says why
   */
  default Optional<RateLimitState> state(String client) {
    return Optional.empty();
  }

  /**
   * Gives one client a fresh start: its token bucket full, as a client never seen before. The
   * connections it holds stay counted, since each is still released once when it closes. Called
   * from an administration thread, never from an event loop.
   *
   * <p>The default, for a limiter that keeps nothing it can reset, returns false.
   *
   * @param client the client as this limiter keys it (see {@link #state})
   * @return whether this limiter can reset clients; true also for a client it did not remember
   * @throws IllegalStateException if the store the limiter keeps clients in (a shared one, such as
   *     Redis) cannot be changed now; the message says why, and nothing was reset
   */
  default boolean reset(String client) {
    return false;
  }

  /** Returns a limiter that admits every connection. */
  static RateLimiter unlimited() {
    return (identity, upstream) -> ADMITTED;
  }
}
