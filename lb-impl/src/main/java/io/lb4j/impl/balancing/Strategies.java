package io.lb4j.impl.balancing;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.InvalidSettingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
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
 * <p>A configuration names them with {@link #named(String)}: {@code least-connections},
 * {@code round-robin}, {@code power-of-two-choices}.
 *
 * <p>Each returned strategy only chooses; the upstream's host pool counts. Strategies with state
 * (round-robin's cursor) are safe to share between upstreams.
 */
public final class Strategies {

  /** The default; the pool recognises this instance and picks without calling it. */
  static final BalancingStrategy LEAST_CONNECTIONS = new LeastConnections();

  /** Every shipped strategy by the name a configuration gives it; the default first. */
  private static final Map<String, Supplier<BalancingStrategy>> BY_NAME = byName();

  private Strategies() {}

  private static Map<String, Supplier<BalancingStrategy>> byName() {
    Map<String, Supplier<BalancingStrategy>> m = new LinkedHashMap<>();
    m.put("least-connections", Strategies::leastConnections);
    m.put("round-robin", Strategies::roundRobin);
    m.put("power-of-two-choices", Strategies::powerOfTwoChoices);
    return m;
  }

  /**
   * Returns the names {@link #named(String)} knows, the default ({@code least-connections})
   * first.
   *
   * @return an immutable list
   */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /**
   * Returns the shipped strategy of that name, as a new instance where the strategy has state.
   *
   * @param name {@code least-connections}, {@code round-robin} or {@code power-of-two-choices}
   * @return the strategy
   * @throws NullPointerException if {@code name} is null
   * @throws InvalidSettingException if no strategy has that name (setting {@code strategy}); the
   *     message lists the names there are
   */
  public static BalancingStrategy named(String name) {
    Objects.requireNonNull(name, "strategy");
    Supplier<BalancingStrategy> strategy = BY_NAME.get(name);
    if (strategy == null) {
      String problem =
          "'" + name + "' is not a strategy (use " + String.join(", ", BY_NAME.keySet()) + ")";
      throw new InvalidSettingException("strategy", name, problem, problem, null);
    }
    return strategy.get();
  }

  /**
   * Returns the strategy that picks a host with the fewest connections per unit of weight (the
   * least {@code (connections + 1) / weight}, slow start included), in O(log n) at most; with
   * equal weights, a host with the fewest connections. Ties go to any tied host. This is what an
   * upstream without a strategy uses.
   *
   * @return the shared, stateless instance
   */
  public static BalancingStrategy leastConnections() {
    return LEAST_CONNECTIONS;
  }

  /**
   * Returns a strategy that visits the candidates in configuration order, one after the other,
   * skipping none of those that are up. When the candidate list changes, the cycle continues from
   * the same position in the new list. It ignores weights and slow start.
   *
   * @return a new instance with its own cursor
   */
  public static BalancingStrategy roundRobin() {
    return new RoundRobin();
  }

  /**
   * Returns a strategy that draws two distinct candidates at random and picks the one with fewer
   * connections per unit of weight, slow start included (the first drawn on a tie); with a single
   * candidate it picks that one. Random numbers come from
   * {@link java.util.concurrent.ThreadLocalRandom}.
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
