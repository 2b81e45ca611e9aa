package io.lb4j.impl.authorization;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An {@link Authorizer} that is a rule table: for each upstream, the principals allowed to reach
 * it. Everyone else is refused, and an upstream without rules refuses everyone.
 *
 * <pre>{@code
 * AllowList rules = AllowList.builder()
 *     .allow("echo", "alice", "group:ops")
 *     .allow("api", "uri:spiffe://example.org/billing", "dns:batch.example.org")
 *     .build();
 * LoadBalancer.builder().authorizer(rules) // ...
 * }</pre>
 *
 * <h2>Principals</h2>
 * A principal is written in one of these forms, each compared with a part of the client's
 * {@link ClientIdentity}:
 * <ul>
 *   <li>{@code alice} — the subject's common name (CN), exactly. A CN that contains a colon is
 *       written {@code cn:name}.
 *   <li>{@code group:ops} — one of the subject's organisational units (OU), exactly.
 *   <li>{@code uri:spiffe://example.org/api} — one of the SAN URIs, exactly.
 *   <li>{@code dns:api.example.org} — one of the SAN DNS names, without regard to case.
 * </ul>
 * A client is admitted when any of its names matches any principal of the upstream. The anonymous
 * identity of a listener without TLS matches nothing.
 *
 * <p>Refusals carry {@link RefusalReason#UNAUTHORIZED} and the detail
 * {@code "<client> may not reach <upstream> (allowed: <principals>)"}, naming the client by
 * {@link ClientIdentity#displayName()} and what would have been accepted, as written: the first
 * {@value #SHOWN} principals and the count of the rest ({@code "allowed: alice, group:sre and 40
 * more"}), or {@code "no one is allowed"}.
 *
 * <h2>Threading and cost</h2>
 * Immutable and thread-safe. The principals are sorted into hash sets when the list is built, so a
 * decision costs a lookup of the upstream and of each of the client's few names, and allocates
 * nothing when it admits. To change the rules while running, build a new list and hand it to
 * {@code LoadBalancer.authorizer(...)}.
 */
public final class AllowList implements Authorizer {

  private static final AllowList EMPTY = new AllowList(Map.of());

  /** How many accepted principals a refusal's detail names before it counts the rest. */
  static final int SHOWN = 5;

  private static final String NOBODY = "no one is allowed";

  private final Map<String, List<String>> written;
  private final Map<String, Rules> byUpstream;

  private AllowList(Map<String, List<Principal>> principals) {
    Map<String, List<String>> w = new LinkedHashMap<>();
    Map<String, Rules> rules = new HashMap<>();
    principals.forEach((upstream, list) -> {
      w.put(upstream, list.stream().map(Principal::written).toList());
      rules.put(upstream, new Rules(list));
    });
    this.written = Collections.unmodifiableMap(w);
    this.byUpstream = Map.copyOf(rules);
  }

  /** Returns a builder of an empty table. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the table without rules, which refuses everyone. */
  public static AllowList denyAll() {
    return EMPTY;
  }

  /**
   * Builds a table from principals as written, by upstream name, as a configuration file holds
   * them.
   *
   * @param rules the principals allowed to reach each upstream
   * @return the table
   * @throws IllegalArgumentException if an upstream name is blank or a principal is not of a known
   *     form; the message names the principal
   * @throws NullPointerException if the map, a key, a list or a principal is null
   */
  public static AllowList parse(Map<String, ? extends Collection<String>> rules) {
    Objects.requireNonNull(rules, "rules");
    Builder b = builder();
    rules.forEach((upstream, principals) -> b.allow(upstream, principals));
    return b.build();
  }

  @Override
  public Decision authorize(ClientIdentity identity, String upstream) {
    Rules rules = byUpstream.get(upstream);
    if (rules != null && rules.admits(identity)) {
      return Decision.admit();
    }
    return Decision.refuse(RefusalReason.UNAUTHORIZED, identity.displayName() + " may not reach "
        + upstream + " (" + (rules == null ? NOBODY : rules.accepted) + ")");
  }

  /**
   * Returns the rules as written, by upstream in the order they were added; principals keep their
   * order and lose duplicates. Upstreams that were named without principals are listed with an
   * empty list.
   */
  public Map<String, List<String>> rules() {
    return written;
  }

  /** Returns whether the other object is an allow list with the same rules as written. */
  @Override
  public boolean equals(Object o) {
    return o instanceof AllowList other && written.equals(other.written);
  }

  @Override
  public int hashCode() {
    return written.hashCode();
  }

  @Override
  public String toString() {
    return "AllowList" + written;
  }

  /** The principals of one upstream, split by kind into sets. */
  private static final class Rules {
    private final Set<String> commonNames = new HashSet<>();
    private final Set<String> groups = new HashSet<>();
    private final Set<String> uris = new HashSet<>();
    private final Set<String> dnsNames = new HashSet<>();

    /** What a refusal says would have been accepted. */
    private final String accepted;

    Rules(List<Principal> principals) {
      List<String> written = principals.stream().map(Principal::written).distinct().toList();
      if (written.isEmpty()) {
        accepted = NOBODY;
      } else if (written.size() <= SHOWN) {
        accepted = "allowed: " + String.join(", ", written);
      } else {
        accepted = "allowed: " + String.join(", ", written.subList(0, SHOWN)) + " and "
            + (written.size() - SHOWN) + " more";
      }
      for (Principal p : principals) {
        switch (p.kind()) {
          case COMMON_NAME -> commonNames.add(p.value());
          case GROUP -> groups.add(p.value());
          case URI -> uris.add(p.value());
          case DNS -> dnsNames.add(p.value());
          default -> throw new AssertionError(p.kind());
        }
      }
    }

    boolean admits(ClientIdentity identity) {
      // The empty CN is the anonymous client's; no principal can name it.
      if (!identity.commonName().isEmpty() && commonNames.contains(identity.commonName())) {
        return true;
      }
      return anyIn(identity.groups(), groups)
          || anyIn(identity.uris(), uris)
          || anyDnsIn(identity.dnsNames());
    }

    private static boolean anyIn(List<String> names, Set<String> allowed) {
      if (allowed.isEmpty()) {
        return false;
      }
      for (int i = 0; i < names.size(); i++) {
        if (allowed.contains(names.get(i))) {
          return true;
        }
      }
      return false;
    }

    private boolean anyDnsIn(List<String> names) {
      if (dnsNames.isEmpty()) {
        return false;
      }
      for (int i = 0; i < names.size(); i++) {
        // toLowerCase returns the same instance when nothing changes, as in most certificates.
        if (dnsNames.contains(names.get(i).toLowerCase(Locale.ROOT))) {
          return true;
        }
      }
      return false;
    }
  }

  /** Builds an {@link AllowList}. Each call checks its principals at once. Not thread-safe. */
  public static final class Builder {
    private final Map<String, LinkedHashSet<Principal>> rules = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Allows principals to reach an upstream, adding to those allowed before. Naming an upstream
     * with no principals records it without rules: it refuses everyone.
     *
     * @param upstream the upstream's name, not blank
     * @param principals as written, for example {@code "alice"} or {@code "group:ops"}
     * @return this builder
     * @throws IllegalArgumentException if the upstream name is blank or a principal is not of a
     *     known form; the message names it
     */
    public Builder allow(String upstream, String... principals) {
      Objects.requireNonNull(principals, "principals");
      return allow(upstream, Arrays.asList(principals));
    }

    /**
     * Allows principals to reach an upstream, adding to those allowed before.
     *
     * @param upstream the upstream's name, not blank
     * @param principals as written
     * @return this builder
     * @throws IllegalArgumentException if the upstream name is blank or a principal is not of a
     *     known form; the message names it
     */
    public Builder allow(String upstream, Collection<String> principals) {
      Objects.requireNonNull(upstream, "upstream");
      Objects.requireNonNull(principals, "principals");
      if (upstream.isBlank()) {
        throw new IllegalArgumentException("upstream name must not be blank but was '" + upstream + "'");
      }
      List<Principal> parsed = new ArrayList<>(principals.size());
      for (String p : principals) {
        parsed.add(Principal.parse(p));
      }
      rules.computeIfAbsent(upstream, k -> new LinkedHashSet<>()).addAll(parsed);
      return this;
    }

    /** Returns the table; the builder may go on to build another. */
    public AllowList build() {
      if (rules.isEmpty()) {
        return EMPTY;
      }
      Map<String, List<Principal>> copy = new LinkedHashMap<>();
      rules.forEach((upstream, set) -> copy.put(upstream, List.copyOf(set)));
      return new AllowList(copy);
    }
  }
}
