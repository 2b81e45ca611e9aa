package io.lb4j.ratelimit;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * One generation of {@link ClientLimits}, each limit prepared once as a policy {@code P} for the
 * hot path: what a backend needs to decide for a client (its bucket configuration, its refusals,
 * for a shared backend a version), shared by every client with the same limit.
 *
 * <pre>{@code
 * PolicyTable<MyPolicy> table = PolicyTable.of(limits, MyPolicy::new);
 * MyPolicy p = table.policyFor(identity.commonName());
 * table = table.next(newLimits, MyPolicy::new);   // on a configuration reload
 * }</pre>
 *
 * <p>{@link #next} reuses this table's policy for every limit that did not change, so a client
 * whose limit stayed the same keeps the very same policy instance and, with it, whatever a
 * backend keyed on it (its bucket, its version). Backends compare policies by identity to notice
 * that a client's limit changed.
 *
 * <p>Immutable and thread-safe; {@link #policyFor} allocates nothing. The backends of
 * {@code lb-ratelimit} and {@code lb-ratelimit-redis} use it; a storage backend of your own may
 * too.
 *
 * @param <P> the prepared form of one limit
 */
public final class PolicyTable<P> {

  private final ClientLimits limits;
  private final P defaults;
  private final Map<String, P> overrides;
  private final Map<ClientLimit, P> byLimit;

  private PolicyTable(
      ClientLimits limits, P defaults, Map<String, P> overrides, Map<ClientLimit, P> byLimit) {
    this.limits = limits;
    this.defaults = defaults;
    this.overrides = overrides;
    this.byLimit = byLimit;
  }

  /**
   * Returns the first table of a limiter.
   *
   * @param limits the limits
   * @param prepare makes the policy of one limit; called once per distinct limit, on this
   *     thread, and must not return null
   * @param <P> the prepared form of one limit
   * @return the table
   * @throws NullPointerException if an argument is null or {@code prepare} returns null
   */
  public static <P> PolicyTable<P> of(
      ClientLimits limits, Function<? super ClientLimit, ? extends P> prepare) {
    return build(limits, prepare, Map.of());
  }

  /**
   * Returns the table of {@code next}, reusing this table's policy for every limit that is
   * unchanged and preparing the others.
   *
   * @param next the new limits
   * @param prepare makes the policy of a limit this table does not have
   * @return the new table; this one is unchanged
   * @throws NullPointerException if an argument is null or {@code prepare} returns null
   */
  public PolicyTable<P> next(ClientLimits next, Function<? super ClientLimit, ? extends P> prepare) {
    return build(next, prepare, byLimit);
  }

  private static <P> PolicyTable<P> build(
      ClientLimits limits,
      Function<? super ClientLimit, ? extends P> prepare,
      Map<ClientLimit, P> known) {
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(prepare, "prepare");
    Map<ClientLimit, P> byLimit = new HashMap<>();
    Function<ClientLimit, P> policyOf = limit -> byLimit.computeIfAbsent(limit, l -> {
      P old = known.get(l);
      return old != null ? old : Objects.requireNonNull(prepare.apply(l), "prepared policy");
    });
    P defaults = policyOf.apply(limits.defaults());
    Map<String, P> overrides = new HashMap<>(limits.overrides().size() * 2);
    limits.overrides().forEach((cn, limit) -> overrides.put(cn, policyOf.apply(limit)));
    return new PolicyTable<>(limits, defaults, Map.copyOf(overrides), Map.copyOf(byLimit));
  }

  /** Returns the limits this table was built from. */
  public ClientLimits limits() {
    return limits;
  }

  /**
   * Returns the policy of the client with this common name: its override's if it has one, the
   * default's otherwise.
   *
   * @param commonName the client's CN, {@code ""} for identities without one
   * @return the policy, never null
   */
  public P policyFor(String commonName) {
    if (overrides.isEmpty()) {
      return defaults;
    }
    P p = overrides.get(commonName);
    return p != null ? p : defaults;
  }
}
