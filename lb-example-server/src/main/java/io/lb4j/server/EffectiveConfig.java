package io.lb4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.Admin;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.server.ServerConfig.AdminConfig;
import io.lb4j.server.ServerConfig.RedisConfig;
import io.lb4j.server.ServerConfig.TlsConfig;
import io.lb4j.server.ServerConfig.UpstreamConfig;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The configuration in force as {@code GET /api/config} shows it, in the file's own field names and
 * duration format. It never holds secrets: key files are named by path, never read, and a Redis
 * URI's password is replaced by {@code ***}.
 */
final class EffectiveConfig {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private EffectiveConfig() {}

  /**
   * @param started the file the server started with: the sections that need a restart
   * @param upstreams the upstreams as applied
   * @param limits the rate limits as applied
   * @param admin the running load balancer's controls, for the weights served; null before start
   * @param digest the SHA-256 of the file last applied
   */
  static JsonNode of(ServerConfig started, Collection<UpstreamConfig> upstreams, ClientLimits limits,
      Admin admin, String digest) {
    ObjectNode out = JSON.objectNode();
    out.put("file", started.source().path().toString());
    out.put("sha256", digest);
    if (started.tls() != null) {
      out.set("tls", tls(started.tls()));
    }
    ArrayNode list = out.putArray("upstreams");
    for (UpstreamConfig u : upstreams) {
      Upstream served = admin == null
          ? null
          : admin.upstream(u.name()).map(v -> v.settings()).orElse(null);
      list.add(upstream(u, served));
    }
    out.set("rateLimit", rateLimit(limits, started.rateLimit().redis()));
    if (started.admin() != null) {
      out.set("admin", admin(started.admin()));
    }
    out.put("drainTimeout", Durations.format(started.drainTimeout()));
    out.put("ioThreads", started.ioThreads());
    return out;
  }

  private static ObjectNode tls(TlsConfig t) {
    ObjectNode o = JSON.objectNode();
    o.put("certificate", path(t.certificate()));
    o.put("privateKey", path(t.privateKey()));
    o.put("clientCa", path(t.clientCa()));
    strings(o, "protocols", t.protocols());
    strings(o, "cipherSuites", t.cipherSuites());
    o.put("handshakeTimeout", Durations.format(t.handshakeTimeout()));
    if (!t.crls().isEmpty()) {
      ArrayNode crl = o.putArray("crl");
      t.crls().forEach(p -> crl.add(path(p)));
      o.put("acceptStaleCrl", t.acceptStaleCrls());
      o.put("crlExpiryWarning", Durations.format(t.crlExpiryWarning()));
    }
    if (t.sessionTicketKeys() != null) {
      o.put("sessionTicketKeys", path(t.sessionTicketKeys()));
    }
    return o;
  }

  private static ObjectNode upstream(UpstreamConfig u, Upstream served) {
    ObjectNode o = JSON.objectNode();
    o.put("name", u.name());
    o.put("listen", u.listenText());
    if (u.serverName() != null) {
      o.put("serverName", u.serverName());
    }
    o.put("strategy", u.strategy());
    ArrayNode hosts = o.putArray("hosts");
    for (Host h : u.hosts()) {
      hosts.addObject()
          .put("address", h.toString())
          .put("weight", served == null ? 1 : served.weight(h));
    }
    o.put("connectTimeout", Durations.format(u.connectTimeout()));
    o.put("idleTimeout", Durations.format(u.idleTimeout()));
    o.put("connectAttempts", u.connectAttempts());
    o.put("passiveDownTime", Durations.format(u.passiveDownTime()));
    HealthCheck check = u.healthCheck();
    if (check != null) {
      o.putObject("healthCheck")
          .put("interval", Durations.format(check.interval()))
          .put("timeout", Durations.format(check.timeout()))
          .put("rise", check.rise())
          .put("fall", check.fall());
    }
    strings(o, "allow", u.allow());
    return o;
  }

  private static ObjectNode rateLimit(ClientLimits limits, RedisConfig redis) {
    ObjectNode o = JSON.objectNode();
    o.set("default", limit(limits.defaults()));
    ObjectNode clients = o.putObject("clients");
    for (Map.Entry<String, ClientLimit> e : new TreeMap<>(limits.overrides()).entrySet()) {
      clients.set(e.getKey(), limit(e.getValue()));
    }
    if (redis != null) {
      ObjectNode r = o.putObject("redis");
      if (redis.uri() != null) {
        r.put("uri", withoutPassword(redis.uri()));
      }
      if (redis.cluster() != null) {
        ArrayNode nodes = r.putArray("cluster");
        redis.cluster().forEach(n -> nodes.add(withoutPassword(n)));
      }
      if (redis.failOpen() != null) {
        r.put("failOpen", redis.failOpen());
      }
      if (redis.keyPrefix() != null) {
        r.put("keyPrefix", redis.keyPrefix());
      }
      if (redis.commandTimeout() != null) {
        r.put("commandTimeout", Durations.format(redis.commandTimeout()));
      }
      if (redis.leaseTime() != null) {
        r.put("leaseTime", Durations.format(redis.leaseTime()));
      }
      if (redis.instanceId() != null) {
        r.put("instanceId", redis.instanceId());
      }
    }
    return o;
  }

  private static ObjectNode limit(ClientLimit l) {
    return JSON.objectNode()
        .put("connectionsPerSecond", l.connectionsPerSecond())
        .put("burst", l.burst())
        .put("maxConcurrent", l.maxConcurrent());
  }

  private static ObjectNode admin(AdminConfig a) {
    ObjectNode o = JSON.objectNode();
    o.put("listen", a.listenText());
    if (a.mainTls()) {
      o.put("tls", "main");
    } else if (a.tls() != null) {
      o.set("tls", tls(a.tls()));
    }
    if (a.authenticated()) {
      strings(o, "allow", a.allow());
    }
    o.put("api", a.api());
    return o;
  }

  /**
   * A Redis URI or node address without the password its user part may hold: whatever stands
   * between {@code ://} and the last {@code @} of the authority becomes {@code user:***} or
   * {@code ***}. Works for the several hosts of a Sentinel URI too, which {@link java.net.URI}
   * does not parse as a server authority.
   */
  static String withoutPassword(String uri) {
    int scheme = uri.indexOf("://");
    int start = scheme < 0 ? 0 : scheme + 3;
    int end = uri.length();
    for (int i = start; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '/' || c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    int at = uri.lastIndexOf('@', end - 1);
    if (at < start) {
      return uri;
    }
    String user = uri.substring(start, at);
    int colon = user.indexOf(':');
    String shown = colon < 0 ? "***" : user.substring(0, colon) + ":***";
    return uri.substring(0, start) + shown + uri.substring(at);
  }

  private static String path(Path p) {
    return p.toString();
  }

  private static void strings(ObjectNode o, String field, List<String> values) {
    if (values == null) {
      return;
    }
    ArrayNode a = o.putArray(field);
    values.forEach(a::add);
  }
}
