package io.lb4j.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What lb4j knows of a client connection at a given moment. Before the TLS handshake the identity
 * is {@link ClientIdentity#ANONYMOUS}; on a listener shared by several upstreams the upstream is
 * empty until the server name (SNI) has been read.
 *
 * @param id a number unique to this connection within one lb4j instance, for correlating logs
 * @param clientAddress the client's address
 * @param localAddress the lb4j address the client connected to
 * @param upstream the upstream's name, or the empty string while not yet routed
 * @param identity the client's identity
 */
public record ConnectionInfo(
    long id,
    InetSocketAddress clientAddress,
    InetSocketAddress localAddress,
    String upstream,
    ClientIdentity identity) {

  /**
   * Checks for nulls.
   *
   * @throws NullPointerException if a part is null
   */
  public ConnectionInfo {
    Objects.requireNonNull(clientAddress, "clientAddress");
    Objects.requireNonNull(localAddress, "localAddress");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(identity, "identity");
  }

  /**
   * Returns a copy routed to {@code upstream} and authenticated as {@code identity}.
   *
   * @param upstream the upstream's name
   * @param identity the verified identity
   * @return the copy
   */
  public ConnectionInfo with(String upstream, ClientIdentity identity) {
    return new ConnectionInfo(id, clientAddress, localAddress, upstream, identity);
  }
}
