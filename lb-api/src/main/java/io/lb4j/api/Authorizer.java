package io.lb4j.api;

/**
 * Decides whether a client identity may reach an upstream.
 *
 * <pre>{@code
 * Authorizer opsOnly = (identity, upstream) -> identity.groups().contains("ops")
 *     ? Decision.admit()
 *     : Decision.refuse(RefusalReason.UNAUTHORIZED, identity.displayName() + " is not in group ops");
 * }</pre>
 *
 * <h2>Threading</h2>
 * Called on the connection's event-loop thread right after the TLS handshake, concurrently for
 * different connections: implementations must be thread-safe and must not block (no I/O). To
 * change rules while running, swap an immutable rule set behind a volatile reference.
 *
 * <h2>Implementing</h2>
 * Return {@link Decision#admit()} or a {@link Refuse} with {@link RefusalReason#UNAUTHORIZED} and a
 * detail naming what was missing. Do not throw: an exception is treated as a refusal and logged as
 * a bug of the authorizer.
 */
@FunctionalInterface
public interface Authorizer {

  /**
   * Decides whether {@code identity} may reach {@code upstream}.
   *
   * @param identity the client's verified identity ({@link ClientIdentity#ANONYMOUS} without TLS)
   * @param upstream the name of the upstream the connection is routed to
   * @return admit, or a refusal with its reason
   */
  Decision authorize(ClientIdentity identity, String upstream);

  /** Returns an authorizer that admits everyone, the default of a listener without TLS. */
  static Authorizer allowAll() {
    return (identity, upstream) -> Decision.admit();
  }
}
