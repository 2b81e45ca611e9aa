package io.lb4j.ratelimit;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The limits of every client: a default, and overrides written by certificate common name (CN).
 *
 * <pre>{@code
 * ClientLimits limits = ClientLimits.of(ClientLimit.rate(5, 10).withMaxConcurrent(20))
 *     .withOverride("alice", ClientLimit.rate(50, 100))   // alice: no concurrency cap at all
 *     .withOverride("batch", ClientLimit.concurrent(2));  // batch: no rate limit at all
 * limits.limitFor("alice");   // rate 50/s burst 100, no cap
 * limits.limitFor("bob");     // the default
 * }</pre>
 *
 * <p><b>An override replaces the default entirely</b>; it is not merged with it field by field.
 * A client's limit is always exactly one {@link ClientLimit} as written, so reading the
 * configuration of one client never needs the default, and changing the default never changes
 * an overridden client. To keep the default's cap in an override, write it again.
 *
 * <p>Clients are keyed by {@link io.lb4j.api.ClientIdentity#commonName()}, compared exactly
 * (case-sensitive). Identities without a CN, the anonymous one included, all share the key
 * {@code ""}: an override for {@code ""} applies to them together.
 *
 * <p>Immutable and thread-safe.
 *
 * @param defaults the limit of every client without an override
 * @param overrides limits by common name; copied
 */
public record ClientLimits(ClientLimit defaults, Map<String, ClientLimit> overrides) {

  /**
   * Checks and copies the parts.
   *
   * @throws NullPointerException if {@code defaults}, {@code overrides}, or any of its keys or
   *     values is null
   */
  public ClientLimits {
    Objects.requireNonNull(defaults, "defaults");
    Objects.requireNonNull(overrides, "overrides");
    overrides.forEach((cn, limit) -> {
      Objects.requireNonNull(cn, "overrides must not hold a null common name");
      Objects.requireNonNull(limit, () -> "override for " + cn + " must not be null");
    });
    overrides = Map.copyOf(overrides);
  }

  /**
   * Returns limits with no override.
   *
   * @param defaults the limit of every client
   * @return the limits
   */
  public static ClientLimits of(ClientLimit defaults) {
    return new ClientLimits(defaults, Map.of());
  }

  /** Returns limits that limit nobody. */
  public static ClientLimits unlimited() {
    return of(ClientLimit.unlimited());
  }

  /**
   * Returns these limits with {@code commonName}'s override set to {@code limit}, replacing any
   * override it had.
   *
   * @param commonName the client's certificate CN, exactly as in the certificate
   * @param limit the client's whole limit
   * @return the new limits
   */
  public ClientLimits withOverride(String commonName, ClientLimit limit) {
    Objects.requireNonNull(commonName, "commonName");
    Objects.requireNonNull(limit, "limit");
    Map<String, ClientLimit> copy = new HashMap<>(overrides);
    copy.put(commonName, limit);
    return new ClientLimits(defaults, copy);
  }

  /**
   * Returns these limits with every limit, default and overrides, passed through {@code change};
   * for example {@code limits.map(ClientLimit::withoutRate)} keeps only the caps.
   *
   * @param change applied to each limit, must not return null
   * @return the new limits
   */
  public ClientLimits map(UnaryOperator<ClientLimit> change) {
    Objects.requireNonNull(change, "change");
    Map<String, ClientLimit> copy = new HashMap<>(overrides.size() * 2);
    overrides.forEach((cn, limit) -> copy.put(cn, change.apply(limit)));
    return new ClientLimits(change.apply(defaults), copy);
  }

  /**
   * Returns the limit of the client with this common name: its override if it has one, the
   * default otherwise.
   *
   * @param commonName the client's CN, {@code ""} for identities without one
   * @return the limit, never null
   */
  public ClientLimit limitFor(String commonName) {
    return overrides.getOrDefault(commonName, defaults);
  }
}
