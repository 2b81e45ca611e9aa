package io.lb4j.tls;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * lb4j's mTLS policy: the only protocols and cipher suites a listener may use. This class is the
 * one place they are listed; a {@link PemTlsContextFactory} may be configured to use fewer of them,
 * never more.
 *
 * <pre>{@code
 * TlsPolicy.PROTOCOLS;              // [TLSv1.3, TLSv1.2]
 * TlsPolicy.CIPHER_SUITES;          // IANA names, TLS 1.3 suites first
 * TlsPolicy.ianaName("ECDHE-RSA-AES128-GCM-SHA256");  // "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
 * }</pre>
 *
 * <p>Every member is immutable and safe to use from any thread.
 */
public final class TlsPolicy {

  /** The TLS 1.3 protocol name, as the JDK and Netty spell it. */
  public static final String TLS_1_3 = "TLSv1.3";

  /** The TLS 1.2 protocol name, as the JDK and Netty spell it. */
  public static final String TLS_1_2 = "TLSv1.2";

  /** The allowed protocols, most preferred first. */
  public static final List<String> PROTOCOLS = List.of(TLS_1_3, TLS_1_2);

  /**
   * How long a TLS session may be resumed after the full handshake that created it. Resumption
   * skips certificate verification, so this bounds how long a client whose certificate has since
   * expired can still come back on an old session. OpenSSL's own default.
   *
   * <p>Except for TLS 1.3 on the OpenSSL engine: BoringSSL gives a TLS 1.3 ticket its own lifetime
   * of two days (its PSK-DHE timeout, which netty-tcnative cannot set) and applies this one only
   * to the resumptions that follow; see docs/security.md, "Session resumption and ticket keys".
   */
  public static final Duration SESSION_TIMEOUT = Duration.ofMinutes(5);

  /**
   * How many TLS 1.2 sessions the server keeps for clients that resume by session ID rather than
   * by ticket. Each kept session holds the client's certificate chain in native memory (about 1.5
   * KiB here); at the engines' default of 20,480 the cache grew the process by some 30 MiB under
   * a stream of full TLS 1.2 handshakes (docs/benchmarks.md). Clients that take tickets, as
   * BoringSSL, OpenSSL and the JDK all do by default, do not need it.
   */
  public static final long SESSION_CACHE_SIZE = 1024;

  // IANA name, OpenSSL name, protocol. The IANA name is the one the JDK and Netty's API use.
  private static final List<Suite> SUITES =
      List.of(
          new Suite("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", TLS_1_3),
          new Suite("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", TLS_1_3),
          new Suite("TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", TLS_1_3),
          new Suite(
              "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", TLS_1_2),
          new Suite(
              "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
              "ECDHE-ECDSA-CHACHA20-POLY1305",
              TLS_1_2),
          new Suite(
              "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", TLS_1_2),
          new Suite(
              "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
              "ECDHE-RSA-CHACHA20-POLY1305",
              TLS_1_2),
          new Suite(
              "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", TLS_1_2),
          new Suite(
              "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", TLS_1_2));

  /** The allowed cipher suites in IANA names (as the JDK spells them), TLS 1.3 suites first. */
  public static final List<String> CIPHER_SUITES =
      SUITES.stream().map(Suite::iana).collect(Collectors.toUnmodifiableList());

  /** The allowed TLS 1.3 cipher suites in IANA names. */
  public static final List<String> TLS_1_3_CIPHER_SUITES = namesOf(TLS_1_3);

  /** The allowed TLS 1.2 cipher suites in IANA names. */
  public static final List<String> TLS_1_2_CIPHER_SUITES = namesOf(TLS_1_2);

  // Every accepted spelling, upper-cased, to its suite.
  private static final Map<String, Suite> BY_NAME =
      SUITES.stream()
          .flatMap(s -> Stream.of(s.iana, s.openssl).distinct().map(n -> Map.entry(n, s)))
          .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

  private TlsPolicy() {}

  /**
   * Returns the IANA name of an allowed cipher suite written either way: IANA
   * ({@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}) or OpenSSL ({@code ECDHE-RSA-AES128-GCM-SHA256}).
   * Case does not matter.
   *
   * @param name a cipher suite name
   * @return its IANA name
   * @throws TlsConfigException if the suite is not in this policy
   * @throws NullPointerException if {@code name} is null
   */
  public static String ianaName(String name) {
    Objects.requireNonNull(name, "name");
    Suite suite = BY_NAME.get(name.trim().toUpperCase(Locale.ROOT));
    if (suite == null) {
      throw TlsConfigException.of(
            "cipherSuites", name + " is not allowed (allowed: " + String.join(", ", CIPHER_SUITES)
              + ")");
    }
    return suite.iana;
  }

  /** Returns the protocol ({@link #TLS_1_3} or {@link #TLS_1_2}) of an allowed suite's IANA name. */
  static String protocolOf(String ianaName) {
    for (Suite suite : SUITES) {
      if (suite.iana.equals(ianaName)) {
        return suite.protocol;
      }
    }
    throw new IllegalArgumentException("not an allowed suite: " + ianaName);
  }

  /**
   * Checks a configured protocol list against the policy.
   *
   * @return the protocols, deduplicated, in the policy's order of preference
   * @throws TlsConfigException if a protocol is not allowed or the list is empty
   */
  static List<String> narrowProtocols(List<String> requested) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String protocol : requested) {
      Objects.requireNonNull(protocol, "protocols must not contain null");
      String match = PROTOCOLS.stream().filter(p -> p.equalsIgnoreCase(protocol.trim())).findFirst()
          .orElseThrow(() -> TlsConfigException.of(
            "protocols", protocol + " is not allowed (allowed: " + String.join(", ", PROTOCOLS)
                  + ")"));
      chosen.add(match);
    }
    if (chosen.isEmpty()) {
      throw new TlsConfigException("protocols", "protocols must not be empty");
    }
    return PROTOCOLS.stream().filter(chosen::contains).collect(Collectors.toUnmodifiableList());
  }

  /**
   * Checks a configured cipher suite list against the policy.
   *
   * @return the IANA names, deduplicated, in the order given
   * @throws TlsConfigException if a suite is not allowed or the list is empty
   */
  static List<String> narrowCipherSuites(List<String> requested) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String name : requested) {
      Objects.requireNonNull(name, "cipherSuites must not contain null");
      chosen.add(ianaName(name));
    }
    if (chosen.isEmpty()) {
      throw new TlsConfigException("cipherSuites", "cipherSuites must not be empty");
    }
    return List.copyOf(chosen);
  }

  /**
   * Combines narrowed protocols and suites into what a context enables: the suites of the enabled
   * protocols only, and at least one suite for each enabled protocol.
   *
   * @throws TlsConfigException if an enabled protocol is left without a suite
   */
  static Enabled enabled(List<String> protocols, List<String> suites) {
    List<String> kept = new ArrayList<>(suites.size());
    for (String suite : suites) {
      if (protocols.contains(protocolOf(suite))) {
        kept.add(suite);
      }
    }
    for (String protocol : protocols) {
      if (kept.stream().map(TlsPolicy::protocolOf).noneMatch(protocol::equals)) {
        throw TlsConfigException.of("cipherSuites", "no " + protocol + " suite left for protocol " + protocol
                + " (add one of " + String.join(", ", namesOf(protocol))
                + " or remove " + protocol + " from protocols)");
      }
    }
    return new Enabled(protocols, List.copyOf(kept));
  }

  private static List<String> namesOf(String protocol) {
    return SUITES.stream().filter(s -> s.protocol.equals(protocol)).map(Suite::iana)
        .collect(Collectors.toUnmodifiableList());
  }

  /** The protocols and IANA suite names one context enables. */
  record Enabled(List<String> protocols, List<String> cipherSuites) {
    List<String> suitesOf(String protocol) {
      return cipherSuites.stream().filter(s -> protocolOf(s).equals(protocol)).collect(
          Collectors.toUnmodifiableList());
    }
  }

  private record Suite(String iana, String openssl, String protocol) {}
}
