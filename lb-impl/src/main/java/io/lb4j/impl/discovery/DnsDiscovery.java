package io.lb4j.impl.discovery;

import io.lb4j.api.Defaults;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource;
import io.lb4j.api.InvalidSettingException;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The hosts of an upstream from DNS: the A and AAAA records of a name, at a port given here, or
 * the SRV records of a service, with their targets, ports, priorities and weights. This is how
 * lb4j follows a Kubernetes headless service, a Consul service or a zone an autoscaler updates.
 *
 * <pre>{@code
 * Upstream api = Upstream.builder("api")
 *     .discover(DnsDiscovery.srv("_https._tcp.api.default.svc.cluster.local").build())
 *     .build();
 * Upstream cache = Upstream.builder("cache")
 *     .discover(DnsDiscovery.addresses(Host.parse("cache.internal:6379"))
 *         .resolvers(List.of(new InetSocketAddress("10.0.0.2", 53)))
 *         .build())
 *     .build();
 * }</pre>
 *
 * <h2>What is published</h2>
 * For a name, each address of its A and AAAA records becomes a host at the given port, of weight
 * 1. For an SRV name, the records of the lowest priority whose targets resolve to at least one
 * address are used; each address of a target becomes a host at the record's port, weighted by the
 * record's weight (0 counts as 1; a group whose weights exceed {@link Defaults#MAX_HOST_WEIGHT}
 * is scaled down to that range, keeping the proportions). Targets' addresses are taken from the
 * answer's additional section where the server put them, and looked up otherwise. Every host
 * carries the DNS name it came from: the queried name, or the SRV target.
 *
 * <h2>When</h2>
 * Lookups run again after the smallest TTL of the records used, bounded by {@link
 * Builder#minRefresh} and {@link Builder#maxRefresh}, or at a fixed {@link Builder#refresh} when
 * one is set. A lookup that fails (no answer in time, SERVFAIL or REFUSED from every resolver,
 * NXDOMAIN, no record, a malformed answer) is reported as a failure and the upstream keeps its
 * last hosts; it is tried again after the minimum refresh, then twice as long each time, up to the
 * maximum. A lookup whose answer needs more than a UDP datagram is asked again over TCP.
 *
 * <p>Immutable and thread-safe; equal when the settings are equal, so that a configuration reload
 * that leaves them alone keeps the running lookups. Each upstream that uses it gets its own watch,
 * with one daemon thread that does that upstream's lookups without ever blocking on them.
 */
public final class DnsDiscovery implements HostSource {

  /** Which records are asked for. */
  enum Kind {
    ADDRESSES,
    SRV
  }

  private final Kind kind;
  private final String name;
  private final int port;
  private final List<InetSocketAddress> resolvers;
  private final Duration refresh;
  private final Duration minRefresh;
  private final Duration maxRefresh;
  private final Duration queryTimeout;

  private DnsDiscovery(Builder b) {
    this.kind = b.kind;
    this.name = b.name;
    this.port = b.port;
    this.resolvers = b.resolvers;
    this.refresh = b.refresh;
    this.minRefresh = b.minRefresh;
    this.maxRefresh = b.maxRefresh;
    this.queryTimeout = b.queryTimeout;
  }

  /**
   * Starts a builder for the A and AAAA records of a name, each address served at one port.
   *
   * @param nameAndPort the DNS name and the port of every host, as {@code api.internal:8443}
   * @return the builder
   * @throws NullPointerException if {@code nameAndPort} is null
   * @throws InvalidSettingException if the name is an IP address rather than a name (setting
   *     {@code dns})
   */
  public static Builder addresses(Host nameAndPort) {
    Objects.requireNonNull(nameAndPort, "nameAndPort");
    if (NetUtil.isValidIpV4Address(nameAndPort.name())
        || NetUtil.isValidIpV6Address(nameAndPort.name())) {
      throw InvalidSettingException.of(
          "dns", nameAndPort, "must be a DNS name with a port but was the IP address " + nameAndPort);
    }
    return new Builder(Kind.ADDRESSES, normalise(nameAndPort.name()), nameAndPort.port());
  }

  /**
   * Starts a builder for the SRV records of a service name, as {@code _api._tcp.example.internal}.
   *
   * @param serviceName the name the SRV records are under
   * @return the builder
   * @throws NullPointerException if {@code serviceName} is null
   * @throws InvalidSettingException if it is blank or has a space (setting {@code srv})
   */
  public static Builder srv(String serviceName) {
    Objects.requireNonNull(serviceName, "serviceName");
    String n = serviceName.strip();
    if (n.isEmpty() || n.equals(".") || n.chars().anyMatch(Character::isWhitespace)) {
      throw InvalidSettingException.of(
          "srv", serviceName, "must be a DNS name such as _api._tcp.example.internal but was '"
              + serviceName + "'");
    }
    return new Builder(Kind.SRV, normalise(n), 0);
  }

  private static String normalise(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  @Override
  public Watch watch(String upstream, Sink sink) {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(sink, "sink");
    return DnsWatch.start(this, upstream, sink);
  }

  /** Returns the name looked up: the A/AAAA name, or the SRV name, without a trailing dot. */
  public String name() {
    return name;
  }

  /** Returns the port of every host for A/AAAA discovery; empty for SRV, whose records carry it. */
  public Optional<Integer> port() {
    return kind == Kind.ADDRESSES ? Optional.of(port) : Optional.empty();
  }

  /** Returns whether SRV records are asked for, rather than A and AAAA. */
  public boolean isSrv() {
    return kind == Kind.SRV;
  }

  /** Returns the resolvers asked in order; empty for the system's. */
  public List<InetSocketAddress> resolvers() {
    return resolvers;
  }

  /** Returns the fixed time between lookups, or empty when the records' TTL decides. */
  public Optional<Duration> refresh() {
    return Optional.ofNullable(refresh);
  }

  /** Returns the shortest time between lookups that follow the TTL, and the first retry pause. */
  public Duration minRefresh() {
    return minRefresh;
  }

  /** Returns the longest time between lookups that follow the TTL, and the longest retry pause. */
  public Duration maxRefresh() {
    return maxRefresh;
  }

  /** Returns how long one query may go unanswered before the next resolver is asked. */
  public Duration queryTimeout() {
    return queryTimeout;
  }

  Kind kind() {
    return kind;
  }

  int fixedPort() {
    return port;
  }

  /** Returns {@code dns name:port} or {@code srv name}, as logs and the configuration say it. */
  @Override
  public String toString() {
    return kind == Kind.SRV ? "srv " + name : "dns " + Host.of(name, port);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DnsDiscovery d
        && kind == d.kind
        && name.equals(d.name)
        && port == d.port
        && resolvers.equals(d.resolvers)
        && Objects.equals(refresh, d.refresh)
        && minRefresh.equals(d.minRefresh)
        && maxRefresh.equals(d.maxRefresh)
        && queryTimeout.equals(d.queryTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, name, port, resolvers, refresh, minRefresh, maxRefresh, queryTimeout);
  }

  /** Builds a {@link DnsDiscovery}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final Kind kind;
    private final String name;
    private final int port;
    private List<InetSocketAddress> resolvers = List.of();
    private Duration refresh;
    private Duration minRefresh = Defaults.DISCOVERY_MIN_REFRESH;
    private Duration maxRefresh = Defaults.DISCOVERY_MAX_REFRESH;
    private Duration queryTimeout = Defaults.DNS_QUERY_TIMEOUT;

    private Builder(Kind kind, String name, int port) {
      this.kind = kind;
      this.name = name;
      this.port = port;
    }

    /**
     * Sets the DNS servers to ask, in order: the next is asked when one does not answer in time
     * or answers SERVFAIL or REFUSED.
     *
     * @param servers IP addresses with a port; an empty list (the default) means the servers of
     *     the system's resolver configuration ({@code /etc/resolv.conf})
     * @return this builder
     * @throws InvalidSettingException if an address is unresolved or its port is 0 (setting
     *     {@code resolvers})
     */
    public Builder resolvers(List<InetSocketAddress> servers) {
      Objects.requireNonNull(servers, "resolvers");
      for (InetSocketAddress server : servers) {
        Objects.requireNonNull(server, "resolvers must not contain null");
        if (server.isUnresolved() || server.getPort() == 0) {
          throw InvalidSettingException.of(
              "resolvers", server, "must be IP addresses with a port but was " + server);
        }
      }
      this.resolvers = List.copyOf(servers);
      return this;
    }

    /**
     * Looks up at this fixed interval instead of following the records' TTL; null goes back to
     * the TTL.
     *
     * @param interval a positive duration, or null
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code refresh})
     */
    public Builder refresh(Duration interval) {
      this.refresh = interval == null ? null : InvalidSettingException.requirePositive(interval, "refresh");
      return this;
    }

    /**
     * Sets the shortest time between lookups that follow the TTL, and the first pause after a
     * failed lookup.
     *
     * @param interval a positive duration; default {@link Defaults#DISCOVERY_MIN_REFRESH}
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code minRefresh})
     */
    public Builder minRefresh(Duration interval) {
      this.minRefresh = InvalidSettingException.requirePositive(interval, "minRefresh");
      return this;
    }

    /**
     * Sets the longest time between lookups that follow the TTL, and the longest pause between
     * tries while lookups fail.
     *
     * @param interval a positive duration; default {@link Defaults#DISCOVERY_MAX_REFRESH}
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code maxRefresh})
     */
    public Builder maxRefresh(Duration interval) {
      this.maxRefresh = InvalidSettingException.requirePositive(interval, "maxRefresh");
      return this;
    }

    /**
     * Sets how long one query may go unanswered before the next resolver is asked.
     *
     * @param timeout a positive duration; default {@link Defaults#DNS_QUERY_TIMEOUT}
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code queryTimeout})
     */
    public Builder queryTimeout(Duration timeout) {
      this.queryTimeout = InvalidSettingException.requirePositive(timeout, "queryTimeout");
      return this;
    }

    /**
     * Returns the source.
     *
     * @throws InvalidSettingException if the minimum refresh is longer than the maximum (setting
     *     {@code maxRefresh})
     */
    public DnsDiscovery build() {
      if (minRefresh.compareTo(maxRefresh) > 0) {
        throw InvalidSettingException.of("maxRefresh", maxRefresh,
            "must not be shorter than minRefresh (" + minRefresh + ") but was " + maxRefresh);
      }
      return new DnsDiscovery(this);
    }
  }
}
