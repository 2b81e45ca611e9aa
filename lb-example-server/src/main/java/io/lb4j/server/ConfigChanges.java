package io.lb4j.server;

import io.lb4j.api.Defaults;
import io.lb4j.api.Host;
import io.lb4j.server.ServerConfig.TlsConfig;
import io.lb4j.server.ServerConfig.UpstreamConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What differs between two configurations, as a reload needs to know it. Stateless. */
final class ConfigChanges {

  private ConfigChanges() {}

  /**
   * Returns the differences that a running server cannot take without a restart, one phrase each:
   * listeners, the set of upstreams, TLS settings, the admin listener, the drain timeout, the
   * rate-limit store and the number of I/O threads.
   */
  static List<String> needingRestart(ServerConfig running, ServerConfig next) {
    List<String> changes = new ArrayList<>();
    TlsConfig a = running.tls();
    TlsConfig b = next.tls();
    if (a == null && b != null) {
      changes.add("tls added");
    } else if (a != null && b == null) {
      changes.add("tls removed");
    } else if (a != null) {
      List<String> fields = new ArrayList<>();
      if (!a.certificate().equals(b.certificate())) {
        fields.add("certificate");
      }
      if (!a.privateKey().equals(b.privateKey())) {
        fields.add("privateKey");
      }
      if (!a.clientCa().equals(b.clientCa())) {
        fields.add("clientCa");
      }
      if (!Objects.equals(a.protocols(), b.protocols())) {
        fields.add("protocols");
      }
      if (!Objects.equals(a.cipherSuites(), b.cipherSuites())) {
        fields.add("cipherSuites");
      }
      if (!a.handshakeTimeout().equals(b.handshakeTimeout())) {
        fields.add("handshakeTimeout");
      }
      if (!a.ocsp().equals(b.ocsp())) {
        fields.add("ocsp");
      }
      if (a.onRevoke() != b.onRevoke()) {
        fields.add("onRevoke");
      }
      fields.forEach(f -> changes.add("tls." + f + " changed"));
    }
    Map<String, UpstreamConfig> before = byName(running.upstreams());
    Map<String, UpstreamConfig> after = byName(next.upstreams());
    for (UpstreamConfig u : next.upstreams()) {
      UpstreamConfig old = before.get(u.name());
      if (old == null) {
        changes.add("upstream " + u.name() + " added");
        continue;
      }
      if (!old.listen().equals(u.listen())) {
        changes.add("upstream " + u.name() + " listen changed to " + u.listenText());
      }
      if (!Objects.equals(old.serverName(), u.serverName())) {
        changes.add("upstream " + u.name() + " serverName changed");
      }
      if (old.acceptProxy() != u.acceptProxy()) {
        changes.add("upstream " + u.name() + " acceptProxy changed");
      }
    }
    for (String name : before.keySet()) {
      if (!after.containsKey(name)) {
        changes.add("upstream " + name + " removed (it goes on being served)");
      }
    }
    if (!Objects.equals(running.admin(), next.admin())) {
      changes.add("admin changed");
    }
    if (!running.drainTimeout().equals(next.drainTimeout())) {
      changes.add("drainTimeout changed");
    }
    if (!Objects.equals(running.rateLimit().redis(), next.rateLimit().redis())) {
      changes.add("rateLimit.redis changed");
    }
    if (running.ioThreads() != next.ioThreads()) {
      changes.add("ioThreads changed");
    }
    return changes;
  }

  /** Returns whether two definitions of one upstream forward the same way (all but routing and rules). */
  static boolean sameForwarding(UpstreamConfig a, UpstreamConfig b) {
    return a.hosts().equals(b.hosts())
        && Objects.equals(a.discover(), b.discover())
        && a.strategy().equals(b.strategy())
        && a.connectTimeout().equals(b.connectTimeout())
        && a.idleTimeout().equals(b.idleTimeout())
        && a.connectAttempts() == b.connectAttempts()
        && a.passiveDownTime().equals(b.passiveDownTime())
        && a.weights().equals(b.weights())
        && a.slowStart().equals(b.slowStart())
        && Objects.equals(a.healthCheck(), b.healthCheck())
        && Objects.equals(a.proxyProtocol(), b.proxyProtocol());
  }

  /** Describes how an upstream's forwarding changed: hosts added and removed, settings changed. */
  static String describe(UpstreamConfig a, UpstreamConfig b) {
    List<String> parts = new ArrayList<>();
    for (Host h : b.hosts()) {
      if (!a.hosts().contains(h)) {
        parts.add("+" + h);
      }
    }
    for (Host h : a.hosts()) {
      if (!b.hosts().contains(h)) {
        parts.add("-" + h);
      }
    }
    if (!Objects.equals(a.discover(), b.discover())) {
      parts.add(b.discover() == null ? "hosts listed" : "discover " + b.discover());
    }
    if (!a.strategy().equals(b.strategy())) {
      parts.add("strategy " + b.strategy());
    }
    if (!a.connectTimeout().equals(b.connectTimeout())) {
      parts.add("connectTimeout " + Durations.format(b.connectTimeout()));
    }
    if (!a.idleTimeout().equals(b.idleTimeout())) {
      parts.add("idleTimeout " + Durations.format(b.idleTimeout()));
    }
    if (a.connectAttempts() != b.connectAttempts()) {
      parts.add("connectAttempts " + b.connectAttempts());
    }
    if (!a.passiveDownTime().equals(b.passiveDownTime())) {
      parts.add("passiveDownTime " + Durations.format(b.passiveDownTime()));
    }
    for (Host h : b.hosts()) {
      int before = a.weights().getOrDefault(h, Defaults.HOST_WEIGHT);
      int after = b.weights().getOrDefault(h, Defaults.HOST_WEIGHT);
      if (a.hosts().contains(h) && before != after) {
        parts.add("weight " + h + " " + after);
      }
    }
    if (!a.slowStart().equals(b.slowStart())) {
      parts.add("slowStart " + Durations.format(b.slowStart()));
    }
    if (!Objects.equals(a.healthCheck(), b.healthCheck())) {
      parts.add(b.healthCheck() == null ? "health check off" : "health check changed");
    }
    if (!Objects.equals(a.proxyProtocol(), b.proxyProtocol())) {
      parts.add("proxyProtocol " + (b.proxyProtocol() == null ? "none" : b.proxyProtocol()));
    }
    if (parts.isEmpty() && !a.hosts().equals(b.hosts())) {
      parts.add("hosts reordered");
    }
    return "upstream " + b.name() + " " + String.join(" ", parts);
  }

  private static Map<String, UpstreamConfig> byName(List<UpstreamConfig> upstreams) {
    Map<String, UpstreamConfig> m = new LinkedHashMap<>();
    upstreams.forEach(u -> m.put(u.name(), u));
    return m;
  }
}
