package io.lb4j.api;

import java.util.Objects;

/**
 * Chooses the host of an upstream that a new connection goes to. A strategy only chooses: lb4j
 * keeps the connection counts, the health of each host and the leases in one structure per
 * upstream, and shows the strategy a read-only view of the hosts that may take connections now.
 *
 * <pre>{@code
 * // Sends each client to the same host while the candidate list stays the same.
 * BalancingStrategy byClient = (candidates, connection) ->
 *     Math.floorMod(connection.identity().commonName().hashCode(), candidates.size());
 * }</pre>
 *
 * <h2>Threading and cost</h2>
 * lb4j calls {@link #choose} while it holds the upstream's lock, so that choosing a host and
 * counting the connection against it are one atomic step; calls for one upstream never overlap.
 * A strategy must therefore return quickly, must not block, and must not call back into lb4j. It
 * may keep its own state (a round-robin cursor) without further synchronisation, as long as one
 * instance serves one upstream; a strategy shared by several upstreams must make its state
 * thread-safe. The {@link Candidates} view is valid only during the call.
 *
 * <h2>Implementing</h2>
 * Return an index into the candidates. The view is never empty when {@code choose} is called.
 * Use {@link Candidates#leastLoaded()} rather than scanning: its cost hardly grows with the hosts
 * (3 hosts and 10,000 cost about the same).
 *
 * <h2>Weights</h2>
 * Hosts carry weights ({@link Upstream#weight(Host)}), scaled down while a host is in slow start
 * ({@link Upstream#slowStart()}); {@link Candidates#weight(int)} gives the weight as it counts
 * now. A strategy that balances load should compare connections per unit of weight, as
 * {@link Candidates#leastLoaded()} does: {@code (activeConnections(i) + 1) / weight(i)}, the load
 * a host would carry with the new connection. A strategy that ignores weights treats every host
 * alike.
 */
@FunctionalInterface
public interface BalancingStrategy {

  /**
   * Chooses a host for a new connection.
   *
   * @param candidates the hosts that are up and not draining, in configuration order; never empty
   * @param connection the connection to place, with its identity when TLS is on
   * @return an index from 0 to {@code candidates.size() - 1}; lb4j treats any other value as a
   *     bug of the strategy and falls back to the least-loaded host
   */
  int choose(Candidates candidates, ConnectionInfo connection);

  /**
   * A read-only view of the hosts that may take a new connection, and their current connection
   * counts. Valid only during {@link BalancingStrategy#choose}.
   */
  interface Candidates {

    /** Returns how many hosts may take a connection; at least 1 during a choice. */
    int size();

    /**
     * Returns a candidate host.
     *
     * @param index from 0 to {@code size() - 1}
     * @return the host
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    Host host(int index);

    /**
     * Returns the connections a candidate holds now, counting those still connecting.
     *
     * @param index from 0 to {@code size() - 1}
     * @return the count, never negative
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    int activeConnections(int index);

    /**
     * Returns the index of a candidate with the fewest connections per unit of
     * {@linkplain #weight(int) weight} once the new connection is counted, that is the least
     * {@code (activeConnections(i) + 1) / weight(i)}; with equal weights, a candidate with the
     * fewest connections. Ties go to any tied candidate. It costs at most O(log n) in the number
     * of hosts, and nothing when read.
     */
    int leastLoaded();

    /**
     * Returns a candidate's weight as it counts now: its {@linkplain Upstream#weight(Host)
     * configured weight}, or while the host is in {@linkplain Upstream#slowStart() slow start}
     * the share of it reached so far, which may be below 1. The default, for views that know no
     * weights, is {@link Defaults#HOST_WEIGHT}.
     *
     * @param index from 0 to {@code size() - 1}
     * @return a positive weight, at most {@link Defaults#MAX_HOST_WEIGHT}
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    default double weight(int index) {
      Objects.checkIndex(index, size());
      return Defaults.HOST_WEIGHT;
    }
  }
}
