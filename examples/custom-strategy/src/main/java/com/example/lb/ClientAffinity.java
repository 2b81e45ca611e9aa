package com.example.lb;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Host;

/**
 * A {@link BalancingStrategy} that sends each client to the same host for as long as the list of
 * candidate hosts stays the same: rendezvous (highest random weight) hashing of the client's
 * identity over the candidates.
 *
 * <pre>{@code
 * Upstream api = Upstream.builder("api")
 *     .hosts(hosts)
 *     .strategy(ClientAffinity.byIdentity())
 *     .build();
 * }</pre>
 *
 * <p>For each candidate the strategy computes a score from the client's key and the host's
 * address, and picks the highest. A host's score for a client does not depend on the other
 * candidates, so when a host leaves the list (removed, draining or down) only the clients that
 * were on it move, and they spread over the remaining hosts; when it comes back, they return to it.
 * Connection counts play no part: a client that opens many connections puts them all on one host.
 *
 * <p>The key is {@link ClientIdentity#displayName()}: the certificate's common name, else its
 * first SAN URI, else its first SAN DNS name. Two certificates with the same name are one client,
 * so a renewed certificate keeps its host. A client without a certificate (a listener without TLS)
 * is keyed by its IP address.
 *
 * <p>Stateless and thread-safe: one instance may serve any number of upstreams. A pick hashes the
 * key once and each candidate once and does not block, as {@link BalancingStrategy} requires; it
 * allocates nothing for a client with a certificate (an address may be formatted for one
 * without). Its cost grows with the number of hosts, which is fine for the tens or hundreds of
 * hosts an upstream usually has.
 */
public final class ClientAffinity implements BalancingStrategy {

  private static final ClientAffinity INSTANCE = new ClientAffinity();

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private ClientAffinity() {}

  /** Returns the strategy; a shared, stateless instance. */
  public static BalancingStrategy byIdentity() {
    return INSTANCE;
  }

  @Override
  public int choose(Candidates candidates, ConnectionInfo connection) {
    long key = mix(keyHash(connection));
    int best = 0;
    long bestScore = 0;
    for (int i = 0; i < candidates.size(); i++) {
      long score = mix(key ^ hostHash(candidates.host(i)));
      // Ties are as rare as 64-bit collisions; the earlier candidate wins them.
      if (i == 0 || score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  private static long keyHash(ConnectionInfo connection) {
    ClientIdentity identity = connection.identity();
    if (identity.isAnonymous()) {
      return fnv(FNV_OFFSET, connection.clientAddress().getHostString());
    }
    return fnv(FNV_OFFSET, identity.displayName());
  }

  private static long hostHash(Host host) {
    long h = fnv(FNV_OFFSET, host.name());
    return mix((h ^ host.port()) * FNV_PRIME);
  }

  /** FNV-1a over the string's chars; no allocation. */
  private static long fnv(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * FNV_PRIME;
    }
    return h;
  }

  /** SplitMix64's finaliser: spreads every input bit over the whole result. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
