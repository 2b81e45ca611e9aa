package io.lb4j.server;

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
    String drainTimeout) {

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
      String sessionTicketKeys) {}

  record UpstreamEntry(
      String name,
      String listen,
      String serverName,
      String strategy,
      List<String> hosts,
      String connectTimeout,
      String idleTimeout,
      Integer connectAttempts,
      String passiveDownTime,
      HealthCheck healthCheck,
      List<String> allow) {}

  record HealthCheck(String interval, String timeout, Integer rise, Integer fall) {}

  record RateLimit(
      @JsonProperty("default") Limit defaults, Map<String, Limit> clients, Redis redis) {}

  record Limit(Double connectionsPerSecond, Long burst, Integer maxConcurrent) {}

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
