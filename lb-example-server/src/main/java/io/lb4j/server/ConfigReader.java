package io.lb4j.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.lb4j.api.Defaults;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.server.ServerConfig.RateLimitConfig;
import io.lb4j.server.ServerConfig.RedisConfig;
import io.lb4j.server.ServerConfig.Source;
import io.lb4j.server.ServerConfig.TlsConfig;
import io.lb4j.server.ServerConfig.UpstreamConfig;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsConfigException;
import io.lb4j.tls.TlsPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads and checks a configuration file. Every problem becomes a {@link ConfigException} whose
 * message names the file and the field; the first problem found is the one reported.
 *
 * <p>Stateless and thread-safe.
 */
final class ConfigReader {

  /** The strategy names a file may use, the first being the default. */
  static final List<String> STRATEGIES =
      List.of("least-connections", "round-robin", "power-of-two-choices");

  private static final YAMLMapper MAPPER =
      YAMLMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .build();

  private final Source source;

  private ConfigReader(Source source) {
    this.source = source;
  }

  /**
   * Reads and checks {@code file}.
   *
   * @param file the file
   * @param label how the user named it, which every message starts with
   * @return the configuration
   * @throws ConfigException if the file cannot be read or is not a valid configuration
   */
  static ServerConfig read(Path file, String label) {
    Path path = file.toAbsolutePath().normalize();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new ConfigException(label, null, "file not found", e);
    } catch (AccessDeniedException e) {
      throw new ConfigException(label, null, "permission denied", e);
    } catch (IOException e) {
      throw new ConfigException(label, null, "cannot be read: " + e.getMessage(), e);
    }
    return parse(bytes, path, label);
  }

  /**
   * Checks the contents of a configuration file that was read already.
   *
   * @param yaml the contents
   * @param path the file, absolute; relative paths in it are resolved against its folder
   * @param label how the user named it, which every message starts with
   */
  static ServerConfig parse(byte[] yaml, Path path, String label) {
    Source source = new Source(path, label, HexFormat.of().formatHex(digest(yaml)));
    ConfigReader reader = new ConfigReader(source);
    ConfigFile file;
    try {
      file = MAPPER.readValue(yaml, ConfigFile.class);
    } catch (IOException e) {
      throw reader.fromJackson(e);
    }
    if (file == null) {
      throw new ConfigException(source.label(), null, "the file is empty", null);
    }
    return reader.check(file);
  }

  /** Returns the SHA-256 of a file's contents, by which a reload tells whether it changed. */
  static byte[] digest(byte[] contents) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(contents);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  // ---- Jackson's complaints, as one line naming the field

  private ConfigException fromJackson(IOException e) {
    MarkedYAMLException yaml = causeOf(e, MarkedYAMLException.class);
    if (yaml != null) {
      Mark mark = yaml.getProblemMark() != null ? yaml.getProblemMark() : yaml.getContextMark();
      String where = mark == null
          ? ""
          : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": ";
      String problem = yaml.getProblem() != null ? yaml.getProblem() : yaml.getContext();
      String context = yaml.getContext() != null && yaml.getProblem() != null
          ? " (" + yaml.getContext() + ")"
          : "";
      return fail(null, "not valid YAML: " + where + problem + context, e);
    }
    StreamReadException read = causeOf(e, StreamReadException.class);
    if (read != null) {
      Matcher duplicate = DUPLICATE.matcher(read.getOriginalMessage());
      if (duplicate.find()) {
        String parent = e instanceof JsonMappingException j ? pathOf(j) : "";
        return fail((parent.isEmpty() ? "" : parent + ".") + duplicate.group(1), "appears twice", e);
      }
    }
    if (e instanceof UnrecognizedPropertyException u) {
      List<String> known = new ArrayList<>();
      Collection<Object> ids = u.getKnownPropertyIds();
      if (ids != null) {
        ids.forEach(id -> known.add(String.valueOf(id)));
      }
      Collections.sort(known);
      return fail(pathOf(u), "unknown field" + (known.isEmpty() ? "" : " (known fields: "
          + String.join(", ", known) + ")"), e);
    }
    if (e instanceof InvalidFormatException f) {
      return fail(pathOf(f), "'" + f.getValue() + "' is not " + describe(f.getTargetType()), e);
    }
    if (e instanceof MismatchedInputException m) {
      String path = pathOf(m);
      if (path.isEmpty() && m.getOriginalMessage().contains("end-of-input")) {
        return fail(null, "the file is empty", e);
      }
      if (m.getOriginalMessage().startsWith("Trailing token")) {
        return fail(null, "holds more than one YAML document", e);
      }
      if (path.isEmpty()) {
        return fail(null, "expected a mapping of settings (tls, upstreams, ...) at the top", e);
      }
      return fail(path, "expected " + describe(m.getTargetType()), e);
    }
    if (e instanceof JsonMappingException j && !pathOf(j).isEmpty()) {
      return fail(pathOf(j), j.getOriginalMessage(), e);
    }
    if (e instanceof JsonProcessingException p) {
      JsonLocation at = p.getLocation();
      String where = at == null || at.getLineNr() < 0
          ? ""
          : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
      String message = p.getOriginalMessage();
      // SnakeYAML explains over several lines, with a drawing of the spot; the first line says it.
      int newline = message.indexOf('\n');
      return fail(null, where + (newline < 0 ? message : message.substring(0, newline)), e);
    }
    return fail(null, "cannot be read: " + e.getMessage(), e);
  }

  private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '([^']*)'");

  private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static String pathOf(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  private static String describe(Class<?> type) {
    if (type == null) {
      return "another kind of value";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "a whole number";
    }
    if (type == Double.class || type == double.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a single value";
    }
    if (Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "a mapping of settings";
  }

  // ---- checking, field by field

  private ServerConfig check(ConfigFile file) {
    TlsConfig tls = file.tls() == null ? null : tls(file.tls());
    List<UpstreamConfig> upstreams = upstreams(file.upstreams(), tls != null);
    RateLimitConfig rateLimit =
        file.rateLimit() == null ? RateLimitConfig.NONE : rateLimit(file.rateLimit());
    InetSocketAddress admin = null;
    if (file.admin() != null) {
      admin = address(required(file.admin().listen(), "admin.listen"), "admin.listen");
    }
    Duration drain = file.drainTimeout() == null
        ? Defaults.DRAIN_TIMEOUT
        : duration(file.drainTimeout(), "drainTimeout", true);
    return new ServerConfig(source, tls, upstreams, rateLimit, admin, drain);
  }

  private TlsConfig tls(ConfigFile.Tls t) {
    Path certificate = file(required(t.certificate(), "tls.certificate"), "tls.certificate");
    Path key = file(required(t.privateKey(), "tls.privateKey"), "tls.privateKey");
    Path ca = file(required(t.clientCa(), "tls.clientCa"), "tls.clientCa");
    List<String> protocols = null;
    if (t.protocols() != null) {
      nonEmpty(t.protocols(), "tls.protocols");
      for (int i = 0; i < t.protocols().size(); i++) {
        String path = "tls.protocols[" + i + "]";
        String protocol = required(t.protocols().get(i), path);
        try {
          PemTlsContextFactory.builder().protocols(List.of(protocol));
        } catch (TlsConfigException e) {
          throw fail(path, withoutSetting(e), e);
        }
      }
      protocols = List.copyOf(t.protocols());
    }
    List<String> suites = null;
    if (t.cipherSuites() != null) {
      nonEmpty(t.cipherSuites(), "tls.cipherSuites");
      for (int i = 0; i < t.cipherSuites().size(); i++) {
        String path = "tls.cipherSuites[" + i + "]";
        String suite = required(t.cipherSuites().get(i), path);
        try {
          TlsPolicy.ianaName(suite);
        } catch (TlsConfigException e) {
          throw fail(path, withoutSetting(e), e);
        }
      }
      suites = List.copyOf(t.cipherSuites());
    }
    Duration handshake = t.handshakeTimeout() == null
        ? Defaults.HANDSHAKE_TIMEOUT
        : duration(t.handshakeTimeout(), "tls.handshakeTimeout", false);
    return new TlsConfig(certificate, key, ca, protocols, suites, handshake);
  }

  /** Drops the builder's own setting name from a TLS message, since the caller names the field. */
  static String withoutSetting(TlsConfigException e) {
    String message = e.getMessage();
    String prefix = e.setting() + ": ";
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }

  private List<UpstreamConfig> upstreams(List<ConfigFile.UpstreamEntry> entries, boolean tls) {
    if (entries == null || entries.isEmpty()) {
      throw fail("upstreams", "at least one upstream is needed", null);
    }
    List<UpstreamConfig> result = new ArrayList<>();
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String path = "upstreams[" + i + "]";
      ConfigFile.UpstreamEntry e = entries.get(i);
      if (e == null) {
        throw fail(path, "expected a mapping of settings", null);
      }
      String name = required(e.name(), path + ".name");
      if (name.isBlank()) {
        throw fail(path + ".name", "must not be blank", null);
      }
      Integer before = names.putIfAbsent(name, i);
      if (before != null) {
        throw fail(path + ".name", "'" + name + "' is also the name of upstreams[" + before + "]", null);
      }
      String listenText = required(e.listen(), path + ".listen");
      InetSocketAddress listen = address(listenText, path + ".listen");
      String serverName = null;
      if (e.serverName() != null) {
        if (e.serverName().isBlank()) {
          throw fail(path + ".serverName", "must not be blank", null);
        }
        if (!tls) {
          throw fail(path + ".serverName",
              "routing by server name (SNI) needs tls, which is not configured", null);
        }
        serverName = e.serverName().strip().toLowerCase(Locale.ROOT);
      }
      String strategy = e.strategy() == null ? STRATEGIES.get(0) : e.strategy().strip();
      if (!STRATEGIES.contains(strategy)) {
        throw fail(path + ".strategy", "'" + e.strategy() + "' is not a strategy (use "
            + String.join(", ", STRATEGIES) + ")", null);
      }
      List<String> hostTexts = required(e.hosts(), path + ".hosts");
      List<Host> hosts = new ArrayList<>();
      for (int h = 0; h < hostTexts.size(); h++) {
        String hostPath = path + ".hosts[" + h + "]";
        try {
          hosts.add(Host.parse(required(hostTexts.get(h), hostPath)));
        } catch (IllegalArgumentException ex) {
          throw fail(hostPath, ex.getMessage(), ex);
        }
      }
      Duration connect = e.connectTimeout() == null
          ? Defaults.CONNECT_TIMEOUT
          : duration(e.connectTimeout(), path + ".connectTimeout", false);
      Duration idle = e.idleTimeout() == null
          ? Defaults.IDLE_TIMEOUT
          : duration(e.idleTimeout(), path + ".idleTimeout", false);
      int attempts = Defaults.CONNECT_ATTEMPTS;
      if (e.connectAttempts() != null) {
        attempts = e.connectAttempts();
        if (attempts < 1) {
          throw fail(path + ".connectAttempts", "must be at least 1 but was " + attempts, null);
        }
      }
      Duration passive = e.passiveDownTime() == null
          ? Defaults.PASSIVE_DOWN_TIME
          : duration(e.passiveDownTime(), path + ".passiveDownTime", false);
      HealthCheck check = e.healthCheck() == null ? null : healthCheck(e.healthCheck(), path + ".healthCheck");
      List<String> allow = e.allow() == null ? List.of() : e.allow();
      if (e.allow() != null && !tls) {
        throw fail(path + ".allow",
            "needs tls: without it clients have no certificate to be recognised by", null);
      }
      for (int a = 0; a < allow.size(); a++) {
        String allowPath = path + ".allow[" + a + "]";
        try {
          AllowList.builder().allow(name, required(allow.get(a), allowPath));
        } catch (IllegalArgumentException ex) {
          throw fail(allowPath, ex.getMessage(), ex);
        }
      }
      result.add(new UpstreamConfig(i, name, listen, listenText.strip(), serverName, strategy,
          hosts, connect, idle, attempts, passive, check, allow));
    }
    checkSharedListeners(result);
    return result;
  }

  /**
   * Upstreams on one listener must be told apart by server name, as the load balancer needs. Port
   * 0 asks for a fresh port for each upstream, so those never share.
   */
  private void checkSharedListeners(List<UpstreamConfig> upstreams) {
    Map<InetSocketAddress, UpstreamConfig> fallback = new HashMap<>();
    Map<InetSocketAddress, Map<String, UpstreamConfig>> named = new HashMap<>();
    for (UpstreamConfig u : upstreams) {
      if (u.listen().getPort() == 0) {
        continue;
      }
      if (u.serverName() == null) {
        UpstreamConfig other = fallback.putIfAbsent(u.listen(), u);
        if (other != null) {
          throw fail(u.path() + ".listen", u.listenText() + " is also the listener of "
              + other.path() + " and neither has a serverName to tell them apart", null);
        }
      } else {
        UpstreamConfig other = named.computeIfAbsent(u.listen(), k -> new LinkedHashMap<>())
            .putIfAbsent(u.serverName(), u);
        if (other != null) {
          throw fail(u.path() + ".serverName", "'" + u.serverName() + "' is also the serverName of "
              + other.path() + " on listener " + u.listenText(), null);
        }
      }
    }
  }

  private HealthCheck healthCheck(ConfigFile.HealthCheck h, String path) {
    HealthCheck defaults = HealthCheck.defaults();
    Duration interval = h.interval() == null
        ? defaults.interval()
        : duration(h.interval(), path + ".interval", false);
    Duration timeout = h.timeout() == null
        ? defaults.timeout()
        : duration(h.timeout(), path + ".timeout", false);
    int rise = h.rise() == null ? defaults.rise() : h.rise();
    int fall = h.fall() == null ? defaults.fall() : h.fall();
    if (rise < 1) {
      throw fail(path + ".rise", "must be at least 1 but was " + rise, null);
    }
    if (fall < 1) {
      throw fail(path + ".fall", "must be at least 1 but was " + fall, null);
    }
    return HealthCheck.of(interval, timeout, rise, fall);
  }

  private RateLimitConfig rateLimit(ConfigFile.RateLimit r) {
    ClientLimit defaults = r.defaults() == null
        ? ClientLimit.unlimited()
        : limit(r.defaults(), "rateLimit.default");
    Map<String, ClientLimit> overrides = new HashMap<>();
    if (r.clients() != null) {
      for (Map.Entry<String, ConfigFile.Limit> e : r.clients().entrySet()) {
        String path = "rateLimit.clients." + e.getKey();
        if (e.getValue() == null) {
          throw fail(path, "expected a mapping of settings (connectionsPerSecond, burst, maxConcurrent)", null);
        }
        overrides.put(e.getKey(), limit(e.getValue(), path));
      }
    }
    RedisConfig redis = null;
    if (r.redis() != null) {
      String uri = required(r.redis().uri(), "rateLimit.redis.uri");
      if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
        throw fail("rateLimit.redis.uri", "'" + uri + "' is not a redis:// or rediss:// URI", null);
      }
      String prefix = r.redis().keyPrefix();
      if (prefix != null && prefix.isEmpty()) {
        throw fail("rateLimit.redis.keyPrefix", "must not be empty", null);
      }
      Duration timeout = r.redis().commandTimeout() == null
          ? null
          : duration(r.redis().commandTimeout(), "rateLimit.redis.commandTimeout", false);
      redis = new RedisConfig(uri, r.redis().failOpen(), prefix, timeout);
    }
    return new RateLimitConfig(new ClientLimits(defaults, overrides), redis);
  }

  private static final List<String> LIMIT_FIELDS =
      List.of("connectionsPerSecond", "burst", "maxConcurrent");

  private ClientLimit limit(ConfigFile.Limit l, String path) {
    double rate = l.connectionsPerSecond() == null ? 0 : l.connectionsPerSecond();
    long burst = l.burst() == null ? 0 : l.burst();
    int max = l.maxConcurrent() == null ? 0 : l.maxConcurrent();
    if (rate > 0 && l.burst() == null) {
      throw fail(path + ".burst", "is required with connectionsPerSecond", null);
    }
    try {
      return new ClientLimit(rate, burst, max);
    } catch (IllegalArgumentException e) {
      // ClientLimit's messages start with the field they are about.
      String message = e.getMessage();
      for (String field : LIMIT_FIELDS) {
        if (message.startsWith(field + " ")) {
          throw fail(path + "." + field, message.substring(field.length() + 1), e);
        }
      }
      throw fail(path, message, e);
    }
  }

  // ---- leaves

  private <T> T required(T value, String path) {
    if (value == null) {
      throw fail(path, "is required", null);
    }
    return value;
  }

  private void nonEmpty(List<?> list, String path) {
    if (list.isEmpty()) {
      throw fail(path, "must not be empty", null);
    }
  }

  private Duration duration(String text, String path, boolean zeroAllowed) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw fail(path, e.getMessage(), e);
    }
    if (!zeroAllowed && d.isZero()) {
      throw fail(path, "must be more than 0 but was '" + text + "'", null);
    }
    return d;
  }

  private Path file(String text, String path) {
    if (text.isBlank()) {
      throw fail(path, "must not be blank", null);
    }
    try {
      return source.folder().resolve(text.strip()).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw fail(path, "'" + text + "' is not a file name: " + e.getReason(), e);
    }
  }

  /**
   * Parses a listen address, {@code host:port}, where port 0 means any free port. The name is
   * resolved now: a listener binds an address, not a name.
   */
  private InetSocketAddress address(String text, String path) {
    String t = text.strip();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw fail(path, "'" + text + "' is not host:port", null);
    }
    String name = t.substring(0, colon);
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    } else if (name.indexOf(':') >= 0) {
      throw fail(path, "'" + text + "': write an IPv6 address in brackets, as [::1]:9443", null);
    }
    int port;
    try {
      port = Integer.parseInt(t.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw fail(path, "'" + text + "' does not end in a port number", null);
    }
    if (port < 0 || port > 65535) {
      throw fail(path, "port must be from 0 to 65535 but was " + port, null);
    }
    InetSocketAddress address = new InetSocketAddress(name, port);
    if (address.isUnresolved()) {
      throw fail(path, "'" + name + "' does not resolve to an address", null);
    }
    return address;
  }

  private ConfigException fail(String path, String problem, Throwable cause) {
    return new ConfigException(source.label(), path, problem, cause);
  }
}
