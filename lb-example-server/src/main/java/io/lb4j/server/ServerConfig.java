package io.lb4j.server;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.ratelimit.ClientLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A checked configuration, with defaults filled in and paths resolved against the file's folder.
 * Immutable values throughout, so that two loads of the same file are equal and a reload can tell
 * what changed.
 *
 * @param source the file and how the user named it, for messages
 * @param tls the mTLS settings, or null for plain TCP
 * @param upstreams in file order, names unique
 * @param rateLimit the limits; {@link RateLimitConfig#NONE} when the file has none
 * @param admin where the admin listener binds, or null for none
 * @param drainTimeout how long shutdown lets connections finish
 */
record ServerConfig(
    Source source,
    TlsConfig tls,
    List<UpstreamConfig> upstreams,
    RateLimitConfig rateLimit,
    InetSocketAddress admin,
    Duration drainTimeout) {

  ServerConfig {
    upstreams = List.copyOf(upstreams);
  }

  /**
   * Where a configuration came from.
   *
   * @param path the file, absolute
   * @param label the file as the user named it, which messages start with
   * @param digest SHA-256 of the contents read, in hex; tells a reload whether the file changed
   */
  record Source(Path path, String label, String digest) {
    Path folder() {
      return path.getParent();
    }
  }

  /**
   * @param protocols narrowed protocols, or null for all the policy allows
   * @param cipherSuites narrowed suites, or null for all the policy allows
   */
  record TlsConfig(
      Path certificate,
      Path privateKey,
      Path clientCa,
      List<String> protocols,
      List<String> cipherSuites,
      Duration handshakeTimeout,
      List<Path> crls,
      boolean acceptStaleCrls,
      Duration crlExpiryWarning,
      Path sessionTicketKeys) {}

  /**
   * One upstream and where it is served.
   *
   * @param index its position in the file, for messages
   * @param serverName lower-case SNI name, or null
   * @param strategy the strategy's name as the file spells it
   * @param healthCheck or null for none
   * @param allow principals as written, in file order
   */
  record UpstreamConfig(
      int index,
      String name,
      InetSocketAddress listen,
      String listenText,
      String serverName,
      String strategy,
      List<Host> hosts,
      Duration connectTimeout,
      Duration idleTimeout,
      int connectAttempts,
      Duration passiveDownTime,
      HealthCheck healthCheck,
      List<String> allow,
      ProxyProtocol proxyProtocol,
      boolean acceptProxy) {

    UpstreamConfig {
      hosts = List.copyOf(hosts);
      allow = List.copyOf(allow);
    }

    String path() {
      return "upstreams[" + index + "]";
    }

    /** Returns the library's upstream with this configuration and the given strategy instance. */
    Upstream toUpstream(BalancingStrategy strategyInstance) {
      return Upstream.builder(name)
          .hosts(hosts)
          .strategy(strategyInstance)
          .connectTimeout(connectTimeout)
          .idleTimeout(idleTimeout)
          .connectAttempts(connectAttempts)
          .passiveDownTime(passiveDownTime)
          .healthCheck(healthCheck)
          .proxyProtocol(proxyProtocol)
          .build();
    }
  }

  /**
   * @param limits the default and the overrides by common name
   * @param redis the shared store, or null to keep the limits in this process
   */
  record RateLimitConfig(ClientLimits limits, RedisConfig redis) {
    static final RateLimitConfig NONE = new RateLimitConfig(ClientLimits.unlimited(), null);
  }

  /**
   * @param uri {@code redis://host:port}
   * @param failOpen whether connections are admitted while Redis cannot be reached, or null for
   *     the limiter's default
   * @param keyPrefix the prefix of the buckets' keys, or null for the limiter's default
   * @param commandTimeout how long one decision may wait for Redis, or null for the default
   */
  record RedisConfig(String uri, Boolean failOpen, String keyPrefix, Duration commandTimeout) {}
}
