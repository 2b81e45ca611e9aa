package io.lb4j.server;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.Defaults;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.discovery.DnsDiscovery;
import io.lb4j.impl.OnRevoke;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.tls.OcspMode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A checked configuration, with defaults filled in and paths resolved against the file's folder.
 * Immutable values throughout, so that two loads of the same file are equal and a reload can tell
 * what changed.
 *
 * @param source the file and how the user named it, for messages
 * @param tls the mTLS settings, or null for plain TCP
 * @param upstreams in file order, names unique
 * @param rateLimit the limits; {@link RateLimitConfig#NONE} when the file has none
 * @param admin the admin listener, or null for none
 * @param drainTimeout how long shutdown lets connections finish
 * @param ioThreads the number of event-loop threads, resolved (one per available core unless set)
 */
record ServerConfig(
    Source source,
    TlsConfig tls,
    List<UpstreamConfig> upstreams,
    RateLimitConfig rateLimit,
    AdminConfig admin,
    Duration drainTimeout,
    int ioThreads) {

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
      Path sessionTicketKeys,
      OcspConfig ocsp,
      OnRevoke onRevoke) {}

  /**
   * OCSP checking of client certificates, every field resolved to its value or the default.
   *
   * @param responderOverride the responder for every certificate, or null for each one's own
   */
  record OcspConfig(OcspMode mode, URI responderOverride, Duration timeout, int cacheMax) {
    /** OCSP checking off, as without {@code tls.ocsp}. */
    static final OcspConfig OFF =
        new OcspConfig(OcspMode.OFF, null, Defaults.OCSP_TIMEOUT, Defaults.OCSP_CACHE_MAX);
  }

  /**
   * The admin listener.
   *
   * @param listen where it binds
   * @param listenText the address as the file writes it, for messages
   * @param tls its own mTLS settings, or null (then {@code mainTls} tells whether it reuses the
   *     top-level section's, or serves plain HTTP)
   * @param mainTls whether it serves with the top-level tls section's certificates
   * @param allow who may use the API (principals as written), when it has TLS
   * @param api whether the API is served; without TLS only on a loopback address
   */
  record AdminConfig(
      InetSocketAddress listen,
      String listenText,
      TlsConfig tls,
      boolean mainTls,
      List<String> allow,
      boolean api) {

    AdminConfig {
      allow = List.copyOf(allow);
    }

    /** Whether clients of this listener present certificates. */
    boolean authenticated() {
      return tls != null || mainTls;
    }
  }

  /**
   * One upstream and where it is served.
   *
   * @param index its position in the file, for messages
   * @param serverName lower-case SNI name, or null
   * @param strategy the strategy's name as the file spells it
   * @param hosts the listed hosts; empty when they are discovered
   * @param discover where the hosts are discovered, or null when they are listed
   * @param weights the weights the file sets, by host; hosts left out weigh the default
   * @param slowStart the slow-start period, zero for none
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
      DnsDiscovery discover,
      Map<Host, Integer> weights,
      Duration connectTimeout,
      Duration idleTimeout,
      int connectAttempts,
      Duration passiveDownTime,
      Duration slowStart,
      HealthCheck healthCheck,
      List<String> allow,
      ProxyProtocol proxyProtocol,
      boolean acceptProxy) {

    UpstreamConfig {
      hosts = List.copyOf(hosts);
      weights = Map.copyOf(weights);
      allow = List.copyOf(allow);
    }

    String path() {
      return "upstreams[" + index + "]";
    }

    /** Returns the library's upstream with this configuration and the given strategy instance. */
    Upstream toUpstream(BalancingStrategy strategyInstance) {
      Upstream.Builder b = Upstream.builder(name)
          .hosts(hosts)
          .discover(discover)
          .strategy(strategyInstance)
          .connectTimeout(connectTimeout)
          .idleTimeout(idleTimeout)
          .connectAttempts(connectAttempts)
          .passiveDownTime(passiveDownTime)
          .slowStart(slowStart)
          .healthCheck(healthCheck)
          .proxyProtocol(proxyProtocol);
      weights.forEach(b::weight);
      return b.build();
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
   * @param uri {@code redis://host:port}, {@code rediss://...} or
   *     {@code redis-sentinel://h1:26379,h2:26379?sentinelMasterId=name}; null with a cluster
   * @param cluster the seed nodes of a Redis Cluster, or null with a uri
   * @param failOpen whether connections are admitted while Redis cannot be reached, or null for
   *     the limiter's default
   * @param keyPrefix the prefix of the buckets' keys, or null for the limiter's default
   * @param commandTimeout how long one decision may wait for Redis, or null for the default
   * @param leaseTime how long this instance's fleet slots outlive its last renewal, or null for
   *     the default
   * @param instanceId the id of this instance's fleet slots, or null for a random one per run
   */
  record RedisConfig(
      String uri,
      List<String> cluster,
      Boolean failOpen,
      String keyPrefix,
      Duration commandTimeout,
      Duration leaseTime,
      String instanceId) {}
}
