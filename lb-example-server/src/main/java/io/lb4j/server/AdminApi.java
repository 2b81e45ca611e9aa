package io.lb4j.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lb4j.api.Host;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.RateLimitState;
import io.lb4j.api.Refuse;
import io.lb4j.impl.Admin;
import io.lb4j.impl.admin.AdminState;
import io.lb4j.impl.admin.CheckResult;
import io.lb4j.impl.admin.HostView;
import io.lb4j.impl.admin.UpstreamView;
import io.lb4j.server.AdminServer.Request;
import io.lb4j.server.AdminServer.Response;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: JSON over HTTP, a thin layer over the library's {@link Admin} and the server's
 * reload. Paths, bodies and answers are documented in {@code docs/operations.md}.
 *
 * <p>A request that is malformed, names something unknown or asks for a value out of range gets a
 * 4xx with one line of JSON, {@code {"error": "..."}}, and changes nothing. Every change writes
 * one line to the logger {@code lb4j.audit}: who, what, before, after; so does every refused
 * caller.
 *
 * <p>Thread-safe; runs on the admin listener's worker threads.
 */
final class AdminApi implements AdminServer.Api {

  static final String AUDIT_LOGGER = "lb4j.audit";
  private static final Logger audit = LoggerFactory.getLogger(AUDIT_LOGGER);
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** How long a disabled host's connections go on when the request gives no grace. */
  static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

  /**
   * What a reload did.
   *
   * @param status 200 when the file and certificates were read (applied or unchanged), 409 when
   *     either could not be used and what runs stayed in use
   * @param configuration {@code applied}, {@code unchanged}, or {@code refused}
   * @param certificates {@code reloaded}, {@code unchanged}, {@code refused}, or {@code none}
   * @param detail what was applied or why it was refused, one line
   * @param before the configuration's digest in force before
   * @param after the configuration's digest in force after
   */
  record ReloadOutcome(int status, String configuration, String certificates, String detail,
      String before, String after) {}

  /** The server's side of the API: what the library's {@link Admin} does not know. */
  interface Server {
    /** The running load balancer's controls; throws IllegalStateException before it started. */
    Admin admin();

    /** Reloads the configuration file and the certificates now. */
    ReloadOutcome reloadNow();

    /** The configuration in force, without private keys or passwords. */
    JsonNode effectiveConfig();
  }

  private final Supplier<Server> server;

  AdminApi(Supplier<Server> server) {
    this.server = server;
  }

  @Override
  public Response handle(Request r) {
    try {
      return route(r);
    } catch (BadRequest e) {
      return new Response(e.status, AdminServer.JSON, errorJson(e.getMessage()), e.allow);
    } catch (IllegalStateException e) {
      return Response.json(503, errorJson("not serving: " + e.getMessage()));
    } catch (RuntimeException e) {
      log.warn("admin API request {} {} failed", r.method(), r.path(), e);
      return Response.json(500, errorJson("internal error: " + e));
    }
  }

  @Override
  public Response denied(Request r, Refuse refusal) {
    String name = r.caller().identity() == null ? "-" : r.caller().identity().displayName();
    audit.info("who={} action=\"{} {}\" outcome=denied", r.caller().who(), r.method(), r.path());
    return Response.json(403, errorJson(name + " may not use the admin API"));
  }

  private Response route(Request r) {
    List<String> s = segments(r.path());
    String method = r.method();
    if (s.size() == 1 && s.get(0).equals("upstreams")) {
      allow(method, "GET");
      ObjectNode out = MAPPER.createObjectNode();
      server.get().admin().upstreams().forEach(u -> out.withArray("upstreams").add(upstream(u)));
      if (!out.has("upstreams")) {
        out.putArray("upstreams");
      }
      return ok(out);
    }
    if (s.size() == 2 && s.get(0).equals("upstreams")) {
      allow(method, "GET");
      UpstreamView u = server.get().admin().upstream(s.get(1))
          .orElseThrow(() -> new BadRequest(404, "no upstream named '" + s.get(1) + "'"));
      return ok(upstream(u));
    }
    if (s.size() == 5 && s.get(0).equals("upstreams") && s.get(2).equals("hosts")) {
      if (s.get(4).equals("state")) {
        allow(method, "PUT");
        return state(r, s.get(1), host(s.get(3)));
      }
      if (s.get(4).equals("weight")) {
        allow(method, "PUT");
        return weight(r, s.get(1), host(s.get(3)));
      }
    }
    if (s.size() == 2 && s.get(0).equals("clients")) {
      allow(method, "GET", "DELETE");
      return method.equals("GET") ? client(s.get(1)) : resetClient(r, s.get(1));
    }
    if (s.size() == 1 && s.get(0).equals("reload")) {
      allow(method, "POST");
      return reload(r);
    }
    if (s.size() == 1 && s.get(0).equals("config")) {
      allow(method, "GET");
      return ok(server.get().effectiveConfig());
    }
    throw new BadRequest(404, "no such endpoint: " + r.path() + " (GET / lists them)");
  }

  // ---- the endpoints

  private Response state(Request r, String upstream, Host host) {
    ObjectNode body = object(r.body(), Set.of("state", "grace"));
    String state = text(body, "state", "drain, disable or enable");
    if (!Set.of("drain", "disable", "enable").contains(state)) {
      throw new BadRequest(400, "state '" + state + "' is not drain, disable or enable");
    }
    Duration grace = DEFAULT_GRACE;
    if (body.has("grace")) {
      if (!state.equals("disable")) {
        throw new BadRequest(400, "grace applies to disable only");
      }
      String g = text(body, "grace", "a duration such as 10s");
      try {
        grace = Durations.parse(g);
      } catch (IllegalArgumentException e) {
        throw new BadRequest(400, "grace: " + e.getMessage());
      }
    }
    Admin admin = server.get().admin();
    AdminState before;
    try {
      before = switch (state) {
        case "drain" -> admin.drain(upstream, host);
        case "disable" -> admin.disable(upstream, host, grace);
        case "enable" -> admin.enable(upstream, host);
        default -> throw new BadRequest(400,
            "state '" + state + "' is not drain, disable or enable");
      };
    } catch (NoSuchElementException e) {
      throw new BadRequest(404, e.getMessage());
    }
    AdminState after = switch (state) {
      case "drain" -> AdminState.DRAINING;
      case "disable" -> AdminState.DISABLED;
      default -> AdminState.ENABLED;
    };
    String graceText = after == AdminState.DISABLED ? " grace=" + Durations.format(grace) : "";
    audit.info("who={} action=state upstream={} host={} before={} after={}{}", r.caller().who(),
        upstream, host, word(before), word(after), graceText);
    ObjectNode out = MAPPER.createObjectNode()
        .put("upstream", upstream)
        .put("host", host.toString())
        .put("before", word(before))
        .put("after", word(after));
    if (after == AdminState.DISABLED) {
      out.put("grace", Durations.format(grace));
    }
    return ok(out);
  }

  private Response weight(Request r, String upstream, Host host) {
    ObjectNode body = object(r.body(), Set.of("weight"));
    JsonNode w = body.get("weight");
    if (w == null || !w.isIntegralNumber() || !w.canConvertToInt()) {
      throw new BadRequest(400, "weight is required: a whole number such as 3");
    }
    int before;
    try {
      before = server.get().admin().weight(upstream, host, w.intValue());
    } catch (NoSuchElementException e) {
      throw new BadRequest(404, e.getMessage());
    } catch (InvalidSettingException e) {
      throw new BadRequest(400, e.setting() + " " + e.problem());
    }
    audit.info("who={} action=weight upstream={} host={} before={} after={}", r.caller().who(),
        upstream, host, before, w.intValue());
    return ok(MAPPER.createObjectNode()
        .put("upstream", upstream)
        .put("host", host.toString())
        .put("before", before)
        .put("after", w.intValue()));
  }

  private Response client(String client) {
    RateLimitState state = limits(client);
    return ok(clientState(state));
  }

  private Response resetClient(Request r, String client) {
    RateLimitState before = limits(client);
    Admin admin = server.get().admin();
    boolean reset;
    try {
      reset = admin.resetClientLimits(client);
    } catch (IllegalStateException e) {
      throw new BadRequest(503, e.getMessage());
    }
    if (!reset) {
      throw new BadRequest(501, "the rate limiter in use cannot reset a client");
    }
    RateLimitState after = limits(client);
    audit.info("who={} action=reset-client client=\"{}\" before={} after={}", r.caller().who(),
        client, brief(before), brief(after));
    ObjectNode out = MAPPER.createObjectNode().put("client", client);
    out.set("before", clientState(before));
    out.set("after", clientState(after));
    return ok(out);
  }

  private Response reload(Request r) {
    if (r.body().length > 0) {
      throw new BadRequest(400, "POST /api/reload takes no body");
    }
    ReloadOutcome o = server.get().reloadNow();
    audit.info("who={} action=reload before=config:{} after=config:{} configuration={}"
            + " certificates={} detail=\"{}\"", r.caller().who(), o.before(), o.after(),
        o.configuration(), o.certificates(), o.detail().replace("\"", "'"));
    if (o.status() != 200) {
      return Response.json(o.status(), errorJson(o.detail()));
    }
    return ok(MAPPER.createObjectNode()
        .put("configuration", o.configuration())
        .put("certificates", o.certificates())
        .put("detail", o.detail()));
  }

  // ---- JSON shapes

  private static ObjectNode upstream(UpstreamView u) {
    ObjectNode out = MAPPER.createObjectNode().put("name", u.name());
    for (HostView h : u.hosts()) {
      ObjectNode host = out.withArray("hosts").addObject()
          .put("address", h.host().toString())
          .put("state", word(h.state()))
          .put("admin", word(h.admin()))
          .put("healthy", h.healthy())
          .put("removed", h.removed())
          .put("activeConnections", h.activeConnections())
          .put("weight", h.weight())
          .put("slowStartShare", h.slowStartShare());
      if (h.lastCheck() == CheckResult.NONE) {
        host.putNull("healthCheck");
      } else {
        host.putObject("healthCheck")
            .put("last", word(h.lastCheck()))
            .put("inARow", h.checksInARow());
      }
    }
    if (!out.has("hosts")) {
      out.putArray("hosts");
    }
    return out;
  }

  private static ObjectNode clientState(RateLimitState s) {
    ObjectNode out = MAPPER.createObjectNode()
        .put("client", s.client())
        .put("remembered", s.remembered());
    if (s.tokensLeft().isPresent()) {
      out.put("tokensLeft", s.tokensLeft().getAsLong());
    } else {
      out.putNull("tokensLeft");
    }
    out.put("connectionsHeld", s.connectionsHeld()).put("maxConcurrent", s.maxConcurrent());
    if (s.fleetConnectionsHeld().isPresent()) {
      out.put("fleetConnectionsHeld", s.fleetConnectionsHeld().getAsLong());
    } else {
      out.putNull("fleetConnectionsHeld");
    }
    return out;
  }

  private RateLimitState limits(String client) {
    Admin admin = server.get().admin();
    Optional<RateLimitState> state;
    try {
      state = admin.clientLimits(client);
    } catch (IllegalStateException e) {
      // The limiter's store (Redis) did not answer; the server itself serves.
      throw new BadRequest(503, e.getMessage());
    }
    return state.orElseThrow(() ->
        new BadRequest(501, "the rate limiter in use cannot report a client's state"));
  }

  private static String brief(RateLimitState s) {
    return "tokens:" + (s.tokensLeft().isPresent() ? s.tokensLeft().getAsLong() : "-")
        + ",connections:" + s.connectionsHeld();
  }

  /** An enum constant as the API writes it: lower case. */
  static String word(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  // ---- reading requests

  private static List<String> segments(String path) {
    String rest = path.equals("/api") ? "" : path.substring("/api/".length());
    List<String> out = new ArrayList<>();
    for (String raw : rest.split("/", -1)) {
      try {
        // A path keeps '+' as it is; only %XX escapes are decoded.
        out.add(io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(
            raw.replace("+", "%2B")));
      } catch (IllegalArgumentException e) {
        throw new BadRequest(400, "malformed path segment '" + raw + "': " + e.getMessage());
      }
    }
    return out;
  }

  private static Host host(String text) {
    try {
      return Host.parse(text);
    } catch (InvalidSettingException e) {
      throw new BadRequest(400, "'" + text + "' is not a host:port as the configuration writes it");
    }
  }

  private static void allow(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return;
      }
    }
    BadRequest e = new BadRequest(405, "method " + method + " not allowed here; use "
        + String.join(" or ", allowed));
    e.allow = String.join(", ", allowed);
    throw e;
  }

  private static ObjectNode object(byte[] body, Set<String> fields) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      String message = e.getOriginalMessage();
      int newline = message.indexOf('\n');
      throw new BadRequest(400, "malformed JSON: "
          + (newline < 0 ? message : message.substring(0, newline)));
    } catch (IOException e) {
      throw new BadRequest(400, "malformed JSON: " + e.getMessage());
    }
    if (node == null || node.isMissingNode() || !node.isObject()) {
      throw new BadRequest(400, "the body must be a JSON object with " + String.join(", ", fields));
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw new BadRequest(400, "unknown field '" + name + "' (known: "
            + String.join(", ", fields.stream().sorted().toList()) + ")");
      }
    }
    return (ObjectNode) node;
  }

  private static String text(ObjectNode body, String field, String expected) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual()) {
      throw new BadRequest(400, field + " is required: " + expected);
    }
    return v.asText();
  }

  private static Response ok(JsonNode body) {
    return Response.json(200, body.toString() + "\n");
  }

  /** One line of JSON: {@code {"error":"..."}}. */
  static String errorJson(String message) {
    return MAPPER.createObjectNode()
        .put("error", message.replace('\n', ' ').replace('\r', ' '))
        .toString() + "\n";
  }

  /** A request refused with a status and a message; nothing was changed. */
  private static final class BadRequest extends RuntimeException {
    final int status;
    /** The methods allowed, for a 405. */
    String allow;

    BadRequest(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
