package io.lb4j.impl;

import java.util.Map;

/**
 * Which upstream a connection on one listener goes to: by the server name (SNI) the client asked
 * for, else the listener's default. Immutable.
 *
 * @param defaultUpstream the upstream for clients that send no server name or an unknown one;
 *     null when the listener only serves named upstreams
 * @param byServerName upstream names by lower-case server name
 */
record Route(String defaultUpstream, Map<String, String> byServerName) {

  Route {
    byServerName = Map.copyOf(byServerName);
  }

  /** Returns whether the upstream can only be known after the handshake has shown the SNI. */
  boolean needsServerName() {
    return !byServerName.isEmpty();
  }

  /**
   * Returns the upstream for a server name, or null when there is none.
   *
   * @param serverName the SNI host name, or null when the client sent none
   */
  String upstreamFor(String serverName) {
    if (serverName != null) {
      String named = byServerName.get(serverName.toLowerCase(java.util.Locale.ROOT));
      if (named != null) {
        return named;
      }
    }
    return defaultUpstream;
  }

  /** Returns the upstream known before the handshake, or the empty string. */
  String upstreamBeforeHandshake() {
    return defaultUpstream != null && byServerName.isEmpty() ? defaultUpstream : "";
  }
}
