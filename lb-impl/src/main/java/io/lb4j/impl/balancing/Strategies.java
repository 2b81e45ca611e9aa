package io.lb4j.impl.balancing;

import io.lb4j.api.BalancingStrategy;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The {@link BalancingStrategy} implementations that ship with lb4j.
 *
 * <pre>{@code
 * Upstream api = Upstream.builder("api")
 *     .hosts(hosts)
 *     .strategy(Strategies.powerOfTwoChoices())
 *     .build();
 * }</pre>
 *
 * <p>Each returned strategy only chooses; the upstream's host pool counts. Strategies with state
 * (round-robin's cursor) are safe to share between upstreams.
 */
public final class Strategies {

  /** The default; the pool recognises this instance and picks without calling it. */
  static final BalancingStrategy LEAST_CONNECTIONS = new LeastConnections();

  private Strategies() {}

  /**
   * Returns the strategy that picks a host with the fewest connections, in constant time; ties go
   * to any tied host. This is what an upstream without a strategy uses.
   *
   * @return the shared, stateless instance
   */
  public static BalancingStrategy leastConnections() {
    return LEAST_CONNECTIONS;
  }

  /**
   * Returns a strategy that visits the candidates in configuration order, one after the other,
   * skipping none of those that are up. When the candidate list changes, the cycle continues from
   * the same position in the new list.
   *
   * @return a new instance with its own cursor
   */
  public static BalancingStrategy roundRobin() {
    return new RoundRobin();
  }

  /**
   * Returns a strategy that draws two distinct candidates at random and picks the one with fewer
   * connections (the first drawn on a tie); with a single candidate it picks that one. Random
   * numbers come from {@link java.util.concurrent.ThreadLocalRandom}.
   *
   * @return a new instance
   */
  public static BalancingStrategy powerOfTwoChoices() {
    return new PowerOfTwoChoices(null);
  }

  /**
   * Returns a power-of-two-choices strategy drawing from {@code random}, for instance a seeded
   * generator in tests. The generator is called under the upstream's lock; if the strategy serves
   * several upstreams the generator must be thread-safe.
   *
   * @param random the source of random numbers
   * @return a new instance
   * @throws NullPointerException if {@code random} is null
   */
  public static BalancingStrategy powerOfTwoChoices(RandomGenerator random) {
    return new PowerOfTwoChoices(Objects.requireNonNull(random, "random"));
  }
}
