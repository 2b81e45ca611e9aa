package io.lb4j.ratelimit;

import java.util.HashMap;
import java.util.Map;

/**
 * One immutable generation of {@link ClientLimits}, prepared as {@link Policy}s. A new table
 * reuses the previous table's policy for every limit that did not change, so a client whose
 * limit stayed the same keeps the very same policy instance and, with it, its bucket.
 */
final class PolicyTable {

  final ClientLimits limits;
  private final Policy defaults;
  private final Map<String, Policy> overrides;

  private PolicyTable(ClientLimits limits, Policy defaults, Map<String, Policy> overrides) {
    this.limits = limits;
    this.defaults = defaults;
    this.overrides = overrides;
  }

  static PolicyTable first(ClientLimits limits, long expireAfterIdleNanos) {
    return build(limits, expireAfterIdleNanos, new HashMap<>());
  }

  /** Returns the table of {@code next}, reusing this table's policies where a limit is unchanged. */
  PolicyTable next(ClientLimits next, long expireAfterIdleNanos) {
    Map<ClientLimit, Policy> known = new HashMap<>();
    known.put(defaults.limit, defaults);
    overrides.values().forEach(p -> known.put(p.limit, p));
    return build(next, expireAfterIdleNanos, known);
  }

  private static PolicyTable build(
      ClientLimits limits, long expireAfterIdleNanos, Map<ClientLimit, Policy> known) {
    Policy defaults = known.computeIfAbsent(limits.defaults(), l -> new Policy(l, expireAfterIdleNanos));
    Map<String, Policy> overrides = new HashMap<>(limits.overrides().size() * 2);
    limits.overrides().forEach((cn, limit) ->
        overrides.put(cn, known.computeIfAbsent(limit, l -> new Policy(l, expireAfterIdleNanos))));
    return new PolicyTable(limits, defaults, Map.copyOf(overrides));
  }

  Policy policyFor(String commonName) {
    if (overrides.isEmpty()) {
      return defaults;
    }
    Policy p = overrides.get(commonName);
    return p != null ? p : defaults;
  }
}
