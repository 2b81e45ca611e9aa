package io.lb4j.server;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The YAML file as Jackson reads it: every leaf kept as written (durations and addresses as
 * text), every field optional. {@link ConfigReader} checks it and turns it into a
 * {@link ServerConfig}, so that each complaint can name its field.
 */
record ConfigFile(
    Tls tls,
    List<UpstreamEntry> upstreams,
    RateLimit rateLimit,
    Admin admin,
    String drainTimeout,
    Integer ioThreads) {

  record Tls(
      String certificate,
      String privateKey,
      String clientCa,
      List<String> protocols,
      List<String> cipherSuites,
      String handshakeTimeout,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> crl,
      Boolean acceptStaleCrl,
      String crlExpiryWarning,
      String sessionTicketKeys,
      Ocsp ocsp,
      String onRevoke) {}

  record Ocsp(String mode, String responderOverride, String timeout, Integer cacheMax) {}

  record UpstreamEntry(
      String name,
      String listen,
      String serverName,
      String strategy,
      List<HostItem> hosts,
      Discover discover,
      String connectTimeout,
      String idleTimeout,
      Integer connectAttempts,
      String passiveDownTime,
      String slowStart,
      HealthCheck healthCheck,
      List<String> allow,
      String proxyProtocol,
      List<String> proxyTlvs,
      Boolean acceptProxy) {}

  record Discover(
      String dns,
      String srv,
      String refresh,
      String minRefresh,
      String maxRefresh,
      String queryTimeout,
      List<String> resolvers) {}

  /**
   * One entry of an upstream's {@code hosts}: either the address alone, {@code "10.0.0.1:7001"},
   * or a mapping {@code {address: "10.0.0.1:7001", weight: 3}}.
   */
  record HostItem(String address, Integer weight) {

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    HostItem(@JsonProperty("address") String address, @JsonProperty("weight") Integer weight) {
      this.address = address;
      this.weight = weight;
    }

    /** The short form: the address alone, at the default weight. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static HostItem of(String address) {
      return new HostItem(address, null);
    }
  }

  record HealthCheck(String interval, String timeout, Integer rise, Integer fall) {}

  record RateLimit(
      @JsonProperty("default") Limit defaults, Map<String, Limit> clients, Redis redis) {}

  record Limit(
      Double connectionsPerSecond,
      Long burst,
      Integer maxConcurrent,
      Long bytesPerSecond,
      Long bytesBurst) {}

  record Redis(
      String uri,
      List<String> cluster,
      Boolean failOpen,
      String keyPrefix,
      String commandTimeout,
      String leaseTime,
      String instanceId) {}

  /**
   * @param tls the word {@code main} (reuse the top-level tls section) or a mapping of the same
   *     fields as that section
   */
  record Admin(String listen, JsonNode tls, List<String> allow, Boolean api) {}
}
