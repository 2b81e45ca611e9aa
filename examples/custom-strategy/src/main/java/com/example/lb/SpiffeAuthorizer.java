package com.example.lb;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link Authorizer} that admits a client by the SPIFFE ID in its certificate: a SAN URI
 * {@code spiffe://<trust domain>/<path>} whose trust domain is this authorizer's and whose path
 * lies under one of the path prefixes allowed for the upstream.
 *
 * <pre>{@code
 * Authorizer spiffe = SpiffeAuthorizer.trustDomain("example.org")
 *     .allow("api", "/ns/prod")        // spiffe://example.org/ns/prod and everything below it
 *     .allow("metrics", "/")           // any workload of example.org
 *     .build();
 * }</pre>
 *
 * <p>Prefixes match whole path segments: {@code /ns/prod} admits {@code /ns/prod/sa/web} but not
 * {@code /ns/production}. An ID of another trust domain, a URI that is not a well-formed SPIFFE ID
 * (empty, {@code .} or {@code ..} segments, a query or a fragment) and an upstream without rules
 * are refused with {@link RefusalReason#UNAUTHORIZED} and a detail that names the client and the
 * upstream.
 *
 * <p>Immutable and thread-safe; a decision reads the client's few URIs and allocates nothing when
 * it admits. To change the rules while running, build a new authorizer and hand it to
 * {@code LoadBalancer.authorizer(...)}.
 */
public final class SpiffeAuthorizer implements Authorizer {

  private final String trustDomain;
  private final String idPrefix;
  private final Map<String, List<String>> prefixesByUpstream;

  private SpiffeAuthorizer(Builder b) {
    this.trustDomain = b.trustDomain;
    this.idPrefix = "spiffe://" + b.trustDomain;
    Map<String, List<String>> copy = new LinkedHashMap<>();
    b.prefixes.forEach((upstream, list) -> copy.put(upstream, List.copyOf(list)));
    this.prefixesByUpstream = Map.copyOf(copy);
  }

  /**
   * Starts a builder for IDs of {@code trustDomain}.
   *
   * @param trustDomain a trust domain name such as {@code example.org}; compared in lower case
   * @return a builder without rules
   * @throws IllegalArgumentException if the name is blank or contains {@code /}, {@code :} or
   *     {@code @}
   */
  public static Builder trustDomain(String trustDomain) {
    return new Builder(trustDomain);
  }

  @Override
  public Decision authorize(ClientIdentity identity, String upstream) {
    List<String> prefixes = prefixesByUpstream.get(upstream);
    if (prefixes != null) {
      List<String> uris = identity.uris();
      for (int i = 0; i < uris.size(); i++) {
        if (admits(uris.get(i), prefixes)) {
          return Decision.admit();
        }
      }
    }
    return Decision.refuse(
        RefusalReason.UNAUTHORIZED,
        identity.displayName() + " has no SPIFFE ID of " + idPrefix + " allowed to reach " + upstream);
  }

  private boolean admits(String uri, List<String> prefixes) {
    if (!uri.startsWith(idPrefix) || !wellFormedPath(uri, idPrefix.length())) {
      return false;
    }
    int path = idPrefix.length();
    for (int i = 0; i < prefixes.size(); i++) {
      String prefix = prefixes.get(i);
      if (prefix.equals("/")) {
        return true;
      }
      int end = path + prefix.length();
      if (uri.startsWith(prefix, path) && (uri.length() == end || uri.charAt(end) == '/')) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether {@code uri} from {@code from} on is a SPIFFE path: empty, or segments each led
   * by one {@code /}, none empty, {@code .} or {@code ..}, and no query or fragment.
   */
  private static boolean wellFormedPath(String uri, int from) {
    if (from == uri.length()) {
      return true;
    }
    if (uri.charAt(from) != '/') {
      return false; // another trust domain that starts with ours, or a port
    }
    int segmentStart = from + 1;
    for (int i = from + 1; i <= uri.length(); i++) {
      char c = i < uri.length() ? uri.charAt(i) : '/';
      if (c == '?' || c == '#') {
        return false;
      }
      if (c == '/') {
        int length = i - segmentStart;
        if (length == 0
            || (length == 1 && uri.charAt(segmentStart) == '.')
            || (length == 2 && uri.startsWith("..", segmentStart))) {
          return false;
        }
        segmentStart = i + 1;
      }
    }
    return true;
  }

  /** Returns the trust domain, in lower case. */
  public String trustDomain() {
    return trustDomain;
  }

  @Override
  public String toString() {
    return "SpiffeAuthorizer[" + trustDomain + " " + prefixesByUpstream + "]";
  }

  /** Builds a {@link SpiffeAuthorizer}. Each call checks its arguments at once. Not thread-safe. */
  public static final class Builder {
    private final String trustDomain;
    private final Map<String, List<String>> prefixes = new LinkedHashMap<>();

    private Builder(String trustDomain) {
      Objects.requireNonNull(trustDomain, "trustDomain");
      if (trustDomain.isBlank()
          || trustDomain.indexOf('/') >= 0
          || trustDomain.indexOf(':') >= 0
          || trustDomain.indexOf('@') >= 0) {
        throw new IllegalArgumentException(
            "trustDomain must be a name such as example.org but was '" + trustDomain + "'");
      }
      this.trustDomain = trustDomain.toLowerCase(Locale.ROOT);
    }

    /**
     * Allows the workloads under the path prefixes to reach an upstream, adding to those allowed
     * before.
     *
     * @param upstream the upstream's name
     * @param pathPrefixes paths starting with {@code /}, without a trailing {@code /}; {@code /}
     *     alone allows the whole trust domain
     * @return this builder
     * @throws IllegalArgumentException if a prefix is not such a path; the message names it
     */
    public Builder allow(String upstream, String... pathPrefixes) {
      Objects.requireNonNull(upstream, "upstream");
      List<String> list = prefixes.computeIfAbsent(upstream, k -> new ArrayList<>());
      for (String p : pathPrefixes) {
        Objects.requireNonNull(p, "pathPrefix");
        boolean ok = p.equals("/") || (p.startsWith("/") && !p.endsWith("/")
            && wellFormedPath(p, 0));
        if (!ok) {
          throw new IllegalArgumentException(
              "path prefix must look like /ns/prod (or / for the whole trust domain) but was '"
                  + p + "'");
        }
        list.add(p);
      }
      return this;
    }

    /** Returns the authorizer. */
    public SpiffeAuthorizer build() {
      return new SpiffeAuthorizer(this);
    }
  }
}
