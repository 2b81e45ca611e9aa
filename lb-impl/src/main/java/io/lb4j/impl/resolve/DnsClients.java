package io.lb4j.impl.resolve;

import io.lb4j.impl.transport.Transport;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * How every DNS client of lb4j is set up, whether it resolves a host's name to connect
 * ({@link HostResolver}) or discovers an upstream's hosts: the transport's channels, a TCP retry
 * for answers truncated over UDP, the query timeout, and the name servers.
 */
public final class DnsClients {

  private DnsClients() {}

  /**
   * Returns the name servers to ask: {@code nameServers} in order, or the system's resolver
   * configuration ({@code /etc/resolv.conf}, read again every few minutes) when it is empty.
   *
   * @param nameServers resolved addresses, or an empty list for the system's
   * @return the provider
   */
  public static DnsServerAddressStreamProvider servers(List<InetSocketAddress> nameServers) {
    return nameServers.isEmpty()
        ? DnsServerAddressStreamProviders.platformDefault()
        : new SequentialDnsServerAddressStreamProvider(nameServers);
  }

  /**
   * Returns a resolver builder set up the lb4j way; the caller adds an event loop or builds a group.
   *
   * @param transport the transport of the event loops the client will run on
   * @param queryTimeout how long one query may go unanswered
   * @param servers the name servers
   * @return the builder
   */
  public static DnsNameResolverBuilder builder(
      Transport transport, Duration queryTimeout, DnsServerAddressStreamProvider servers) {
    return new DnsNameResolverBuilder()
        .datagramChannelType(transport.datagramChannel())
        // Answers too large for UDP are asked again over TCP, as a system resolver does.
        .socketChannelType(transport.socketChannel())
        .nameServerProvider(servers)
        .queryTimeoutMillis(Math.max(1, queryTimeout.toMillis()));
  }
}
