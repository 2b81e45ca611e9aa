package io.lb4j.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.lb4j.api.Defaults;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.ProxyTlv;
import io.lb4j.api.Upstream;
import io.lb4j.impl.ListenerConflictException;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.OnRevoke;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.impl.balancing.Strategies;
import io.lb4j.impl.discovery.DnsDiscovery;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.redis.RedisRateLimiter;
import io.lb4j.server.ServerConfig.AdminConfig;
import io.lb4j.server.ServerConfig.OcspConfig;
import io.lb4j.server.ServerConfig.RateLimitConfig;
import io.lb4j.server.ServerConfig.RedisConfig;
import io.lb4j.server.ServerConfig.Source;
import io.lb4j.server.ServerConfig.TlsConfig;
import io.lb4j.server.ServerConfig.UpstreamConfig;
import io.lb4j.tls.OcspMode;
import io.lb4j.tls.PemTlsContextFactory;
import io.netty.util.NetUtil;
import io.lb4j.tls.TlsConfigException;
import io.lb4j.tls.TlsPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
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
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads and checks a configuration file. Every problem becomes a {@link ConfigException} whose
 * message names the file and the field; the first problem found is the one reported.
 *
 * <p>The reader checks the file's shape (fields, types, what is required) and hands every value
 * to the library's own parsers and builders ({@link Host#parse}, {@link Upstream.Builder},
 * {@link LoadBalancer.Builder}, {@link Strategies#named}, ...), which hold the rules; it names the
 * field of a refused value from the exception's {@link InvalidSettingException#setting()} and
 * other fields, never from its message.
 *
 * <p>Stateless and thread-safe.
 */
final class ConfigReader {

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
      Optional<String> meant = Spelling.closest(u.getPropertyName(), known);
      if (meant.isPresent()) {
        return fail(pathOf(u), "unknown field, did you mean " + meant.get() + "?", e);
      }
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
    // The library's builder checks the values as LbServer will give them, and holds the defaults.
    LoadBalancer.Builder lb = LoadBalancer.builder();
    TlsConfig tls = file.tls() == null ? null : tls(file.tls(), lb);
    List<UpstreamConfig> upstreams = upstreams(file.upstreams(), tls != null, lb);
    RateLimitConfig rateLimit =
        file.rateLimit() == null ? RateLimitConfig.NONE : rateLimit(file.rateLimit());
    AdminConfig admin = file.admin() == null ? null : admin(file.admin(), tls != null, lb);
    Duration drain = Defaults.DRAIN_TIMEOUT;
    if (file.drainTimeout() != null) {
      drain = duration(file.drainTimeout(), "drainTimeout", lb::drainTimeout);
    }
    int ioThreads = Runtime.getRuntime().availableProcessors();
    if (file.ioThreads() != null) {
      if (file.ioThreads() < 1) {
        throw fail("ioThreads", "must be at least 1 but was " + file.ioThreads(), null);
      }
      ioThreads = file.ioThreads();
    }
    return new ServerConfig(source, tls, upstreams, rateLimit, admin, drain, ioThreads);
  }

  private TlsConfig tls(ConfigFile.Tls t, LoadBalancer.Builder lb) {
    return tls(t, lb, "tls");
  }

  /** Checks a tls section found at {@code at}: the top-level one, or the admin listener's own. */
  private TlsConfig tls(ConfigFile.Tls t, LoadBalancer.Builder lb, String at) {
    String tlsDot = at + ".";
    Path certificate = file(required(t.certificate(), tlsDot + "certificate"), tlsDot + "certificate");
    Path key = file(required(t.privateKey(), tlsDot + "privateKey"), tlsDot + "privateKey");
    Path ca = file(required(t.clientCa(), tlsDot + "clientCa"), tlsDot + "clientCa");
    List<String> protocols = null;
    if (t.protocols() != null) {
      nonEmpty(t.protocols(), tlsDot + "protocols");
      for (int i = 0; i < t.protocols().size(); i++) {
        String path = tlsDot + "protocols[" + i + "]";
        String protocol = required(t.protocols().get(i), path);
        try {
          PemTlsContextFactory.builder().protocols(List.of(protocol));
        } catch (TlsConfigException e) {
          throw fail(path, e.problem(), e);
        }
      }
      protocols = List.copyOf(t.protocols());
    }
    List<String> suites = null;
    if (t.cipherSuites() != null) {
      nonEmpty(t.cipherSuites(), tlsDot + "cipherSuites");
      for (int i = 0; i < t.cipherSuites().size(); i++) {
        String path = tlsDot + "cipherSuites[" + i + "]";
        String suite = required(t.cipherSuites().get(i), path);
        try {
          TlsPolicy.ianaName(suite);
        } catch (TlsConfigException e) {
          throw fail(path, e.problem(), e);
        }
      }
      suites = List.copyOf(t.cipherSuites());
    }
    Duration handshake = t.handshakeTimeout() == null
        ? Defaults.HANDSHAKE_TIMEOUT
        : duration(t.handshakeTimeout(), tlsDot + "handshakeTimeout", lb::handshakeTimeout);
    List<Path> crls = List.of();
    if (t.crl() != null) {
      nonEmpty(t.crl(), tlsDot + "crl");
      List<Path> files = new ArrayList<>();
      for (int i = 0; i < t.crl().size(); i++) {
        String path = t.crl().size() == 1 ? tlsDot + "crl" : tlsDot + "crl[" + i + "]";
        files.add(file(required(t.crl().get(i), path), path));
      }
      crls = List.copyOf(files);
    }
    Duration crlWarning = t.crlExpiryWarning() == null
        ? Defaults.CRL_EXPIRY_WARNING
        : duration(t.crlExpiryWarning(), tlsDot + "crlExpiryWarning",
            PemTlsContextFactory.builder()::crlExpiryWarning);
    Path ticketKeys = t.sessionTicketKeys() == null
        ? null
        : file(t.sessionTicketKeys(), tlsDot + "sessionTicketKeys");
    OnRevoke onRevoke = OnRevoke.KEEP;
    if (t.onRevoke() != null) {
      try {
        onRevoke = OnRevoke.named(t.onRevoke());
      } catch (InvalidSettingException e) {
        throw fail(tlsDot + "onRevoke", e.problem(), e);
      }
    }
    OcspConfig ocsp = t.ocsp() == null ? OcspConfig.OFF : ocsp(t.ocsp());
    return new TlsConfig(certificate, key, ca, protocols, suites, handshake, crls,
        Boolean.TRUE.equals(t.acceptStaleCrl()), crlWarning, ticketKeys, ocsp, onRevoke);
  }

  private OcspConfig ocsp(ConfigFile.Ocsp o) {
    String modeText = required(o.mode(), "tls.ocsp.mode").strip();
    OcspMode mode = null;
    for (OcspMode m : OcspMode.values()) {
      if (m.name().equalsIgnoreCase(modeText)) {
        mode = m;
      }
    }
    if (mode == null) {
      throw fail("tls.ocsp.mode", "must be off, soft or hard but was '" + o.mode() + "'", null);
    }
    // The builder holds the rules of each value; the reader only names the field.
    PemTlsContextFactory.Builder rules = PemTlsContextFactory.builder();
    URI override = null;
    if (o.responderOverride() != null) {
      String text = o.responderOverride().strip();
      try {
        override = new URI(text);
        rules.ocspResponderOverride(override);
      } catch (URISyntaxException e) {
        throw fail("tls.ocsp.responderOverride", "'" + text + "' is not a URL: " + e.getReason(), e);
      } catch (TlsConfigException e) {
        throw fail("tls.ocsp.responderOverride", e.problem(), e);
      }
    }
    Duration timeout = Defaults.OCSP_TIMEOUT;
    if (o.timeout() != null) {
      timeout = duration(o.timeout(), "tls.ocsp.timeout");
      try {
        rules.ocspTimeout(timeout);
      } catch (TlsConfigException e) {
        // A file cannot write a negative duration: what the builder refuses is a zero.
        throw fail("tls.ocsp.timeout", "must be more than 0 but was '" + o.timeout() + "'", e);
      }
    }
    int cacheMax = Defaults.OCSP_CACHE_MAX;
    if (o.cacheMax() != null) {
      try {
        rules.ocspCacheMax(o.cacheMax());
      } catch (TlsConfigException e) {
        throw fail("tls.ocsp.cacheMax", e.problem(), e);
      }
      cacheMax = o.cacheMax();
    }
    return new OcspConfig(mode, override, timeout, cacheMax);
  }

  private AdminConfig admin(ConfigFile.Admin a, boolean mainTlsConfigured, LoadBalancer.Builder lb) {
    String listenText = required(a.listen(), "admin.listen");
    InetSocketAddress listen = address(listenText, "admin.listen");
    TlsConfig own = null;
    boolean reuseMain = false;
    JsonNode tlsNode = a.tls();
    if (tlsNode != null && !tlsNode.isNull()) {
      if (tlsNode.isTextual()) {
        if (!tlsNode.asText().equals("main")) {
          throw fail("admin.tls", "'" + tlsNode.asText() + "' is not 'main' (which reuses the"
              + " top-level tls section) or a mapping of certificate, privateKey and clientCa", null);
        }
        if (!mainTlsConfigured) {
          throw fail("admin.tls", "'main' reuses the top-level tls section, which is not configured",
              null);
        }
        reuseMain = true;
      } else if (tlsNode.isObject()) {
        ConfigFile.Tls t;
        try {
          t = MAPPER.treeToValue(tlsNode, ConfigFile.Tls.class);
        } catch (JsonProcessingException e) {
          String field = e instanceof JsonMappingException j ? pathOf(j) : "";
          String problem = e instanceof UnrecognizedPropertyException ? "unknown field"
              : e.getOriginalMessage();
          throw fail("admin.tls" + (field.isEmpty() ? "" : "." + field), problem, e);
        }
        own = tls(t, lb, "admin.tls");
      } else {
        throw fail("admin.tls", "expected 'main' or a mapping of certificate, privateKey and"
            + " clientCa", null);
      }
    }
    boolean authenticated = own != null || reuseMain;
    List<String> allow = a.allow() == null ? List.of() : a.allow();
    if (a.allow() != null && !authenticated) {
      throw fail("admin.allow",
          "needs admin.tls: without it clients have no certificate to be recognised by", null);
    }
    if (authenticated && a.allow() == null) {
      throw fail("admin.allow", "is required with admin.tls: it names who may use the admin API",
          null);
    }
    for (int i = 0; i < allow.size(); i++) {
      String allowPath = "admin.allow[" + i + "]";
      try {
        AllowList.builder().allow("admin", required(allow.get(i), allowPath));
      } catch (IllegalArgumentException ex) {
        throw fail(allowPath, ex.getMessage(), ex);
      }
    }
    boolean api = a.api() == null || a.api();
    if (api && !authenticated && !isLoopback(listen)) {
      throw fail("admin.listen", listenText.strip() + " is not a loopback address, and without"
          + " admin.tls anyone who reaches it could change the load balancer: add admin.tls and"
          + " admin.allow, listen on loopback, or set admin.api: false to serve only /metrics and"
          + " /healthz there", null);
    }
    return new AdminConfig(listen, listenText.strip(), own, reuseMain, allow, api);
  }

  private static boolean isLoopback(InetSocketAddress address) {
    return address.getAddress() != null && address.getAddress().isLoopbackAddress();
  }

  private List<UpstreamConfig> upstreams(
      List<ConfigFile.UpstreamEntry> entries, boolean tls, LoadBalancer.Builder lb) {
    if (entries == null || entries.isEmpty()) {
      throw fail("upstreams", "at least one upstream is needed", null);
    }
    List<UpstreamConfig> result = new ArrayList<>();
    Map<String, UpstreamConfig> byName = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String path = "upstreams[" + i + "]";
      ConfigFile.UpstreamEntry e = entries.get(i);
      if (e == null) {
        throw fail(path, "expected a mapping of settings", null);
      }
      UpstreamConfig u = upstream(e, i, tls);
      try {
        lb.upstream(u.toUpstream(null), u.listen(), u.serverName());
        if (u.acceptProxy()) {
          lb.acceptProxy(u.name());
        }
      } catch (ListenerConflictException c) {
        throw conflict(u, byName.get(c.sharedWith()), c);
      } catch (InvalidSettingException x) {
        UpstreamConfig before = byName.get(u.name());
        if (x.setting().equals("upstream") && before != null) {
          throw fail(path + ".name", "'" + u.name() + "' is also the name of " + before.path(), x);
        }
        throw fail(path + "." + x.setting(), x.problem(), x);
      }
      byName.put(u.name(), u);
      result.add(u);
    }
    try {
      // Upstreams sharing a listener must agree on acceptProxy; the library's build checks that
      // first and says which upstream disagrees. Its other checks (tls for serverName) are the
      // reader's own above, worded for the file, and this builder has no tls to pass them.
      lb.build();
    } catch (InvalidSettingException x) {
      UpstreamConfig u = byName.get(String.valueOf(x.value()));
      if (x.setting().equals("acceptProxy") && u != null) {
        throw fail(u.path() + ".acceptProxy", x.problem(), x);
      }
    }
    return result;
  }

  private UpstreamConfig upstream(ConfigFile.UpstreamEntry e, int index, boolean tls) {
    String path = "upstreams[" + index + "]";
    String name = required(e.name(), path + ".name");
    Upstream.Builder b;
    try {
      b = Upstream.builder(name);
    } catch (InvalidSettingException x) {
      throw fail(path + ".name", x.problem(), x);
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
    String strategy = e.strategy() == null ? Strategies.names().get(0) : e.strategy().strip();
    try {
      Strategies.named(strategy);
    } catch (InvalidSettingException x) {
      throw fail(path + ".strategy", x.getMessage(), x);
    }
    if (e.hosts() != null && e.discover() != null) {
      throw fail(path + ".discover", "cannot be given together with hosts: the hosts are either"
          + " listed or discovered", null);
    }
    DnsDiscovery discover = e.discover() == null ? null : discover(e.discover(), path + ".discover");
    List<ConfigFile.HostItem> hostItems =
        discover != null ? List.of() : required(e.hosts(), path + ".hosts");
    List<Host> hosts = new ArrayList<>();
    Map<Host, Integer> weights = new LinkedHashMap<>();
    for (int h = 0; h < hostItems.size(); h++) {
      String hostPath = path + ".hosts[" + h + "]";
      ConfigFile.HostItem item = required(hostItems.get(h), hostPath);
      Host host;
      try {
        // The parser's message starts with "address", the mapping form's field.
        host = Host.parse(required(item.address(), hostPath + ".address"));
      } catch (InvalidSettingException x) {
        throw fail(hostPath, x.getMessage(), x);
      }
      hosts.add(host);
      if (item.weight() != null) {
        try {
          b.weight(host, item.weight());
        } catch (InvalidSettingException x) {
          throw fail(hostPath + "." + x.setting(), x.problem(), x);
        }
        weights.put(host, item.weight());
      }
    }
    b.hosts(hosts).discover(discover);
    if (e.connectTimeout() != null) {
      duration(e.connectTimeout(), path + ".connectTimeout", b::connectTimeout);
    }
    if (e.idleTimeout() != null) {
      duration(e.idleTimeout(), path + ".idleTimeout", b::idleTimeout);
    }
    if (e.connectAttempts() != null) {
      try {
        b.connectAttempts(e.connectAttempts());
      } catch (InvalidSettingException x) {
        throw fail(path + "." + x.setting(), x.problem(), x);
      }
    }
    if (e.passiveDownTime() != null) {
      duration(e.passiveDownTime(), path + ".passiveDownTime", b::passiveDownTime);
    }
    if (e.slowStart() != null) {
      duration(e.slowStart(), path + ".slowStart", b::slowStart);
    }
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
    ProxyProtocol proxy = proxyProtocol(e, path);
    // What the file leaves out, the built upstream has at the library's defaults.
    Upstream built = b.build();
    return new UpstreamConfig(index, name, listen, listenText.strip(), serverName, strategy,
        hosts, discover, weights, built.connectTimeout(), built.idleTimeout(),
        built.connectAttempts(), built.passiveDownTime(), built.slowStart(), check, allow, proxy,
        Boolean.TRUE.equals(e.acceptProxy()));
  }

  /** The PROXY header to the hosts: {@code none} (or absent), {@code v1}, {@code v2} with TLVs. */
  private ProxyProtocol proxyProtocol(ConfigFile.UpstreamEntry e, String path) {
    String version =
        e.proxyProtocol() == null ? "none" : e.proxyProtocol().strip().toLowerCase(Locale.ROOT);
    ProxyProtocol proxy =
        switch (version) {
          case "none" -> null;
          case "v1" -> ProxyProtocol.v1();
          case "v2" -> ProxyProtocol.v2();
          default ->
              throw fail(path + ".proxyProtocol",
                  "must be none, v1 or v2 but was '" + e.proxyProtocol() + "'", null);
        };
    if (e.proxyTlvs() == null) {
      return proxy;
    }
    if (proxy == null || proxy.version() != ProxyProtocol.Version.V2) {
      throw fail(path + ".proxyTlvs", "needs proxyProtocol: v2", null);
    }
    java.util.Set<ProxyTlv> tlvs = java.util.EnumSet.noneOf(ProxyTlv.class);
    for (int t = 0; t < e.proxyTlvs().size(); t++) {
      String tlvPath = path + ".proxyTlvs[" + t + "]";
      try {
        tlvs.add(ProxyTlv.named(required(e.proxyTlvs().get(t), tlvPath)));
      } catch (InvalidSettingException x) {
        throw fail(tlvPath, x.problem(), x);
      }
    }
    return proxy.withTlvs(tlvs);
  }

  /** Says which earlier upstream {@code u} cannot share its listener with, in the file's terms. */
  private ConfigException conflict(
      UpstreamConfig u, UpstreamConfig other, ListenerConflictException c) {
    if (c.serverName() == null) {
      return fail(u.path() + ".listen", u.listenText() + " is also the listener of "
          + other.path() + " and neither has a serverName to tell them apart", c);
    }
    return fail(u.path() + ".serverName", "'" + c.serverName() + "' is also the serverName of "
        + other.path() + " on listener " + u.listenText(), c);
  }

  /** Reads {@code discover:}: one of dns (name:port) or srv (a name), and when to look up. */
  private DnsDiscovery discover(ConfigFile.Discover d, String path) {
    if (d.dns() != null && d.srv() != null) {
      throw fail(path + ".srv", "cannot be given together with dns: A/AAAA records at a port, or"
          + " SRV records, not both", null);
    }
    if (d.dns() == null && d.srv() == null) {
      throw fail(path, "needs dns (name:port, for A/AAAA records) or srv (a name, for SRV records)", null);
    }
    DnsDiscovery.Builder b;
    try {
      b = d.dns() != null
          ? DnsDiscovery.addresses(Host.parse(d.dns()))
          : DnsDiscovery.srv(d.srv());
    } catch (InvalidSettingException x) {
      throw fail(path + (d.dns() != null ? ".dns" : ".srv"), x.getMessage(), x);
    }
    if (d.refresh() != null) {
      duration(d.refresh(), path + ".refresh", b::refresh);
    }
    if (d.minRefresh() != null) {
      duration(d.minRefresh(), path + ".minRefresh", b::minRefresh);
    }
    if (d.maxRefresh() != null) {
      duration(d.maxRefresh(), path + ".maxRefresh", b::maxRefresh);
    }
    if (d.queryTimeout() != null) {
      duration(d.queryTimeout(), path + ".queryTimeout", b::queryTimeout);
    }
    if (d.resolvers() != null) {
      nonEmpty(d.resolvers(), path + ".resolvers");
      List<InetSocketAddress> resolvers = new ArrayList<>();
      for (int i = 0; i < d.resolvers().size(); i++) {
        String at = path + ".resolvers[" + i + "]";
        String text = required(d.resolvers().get(i), at);
        Host h;
        try {
          h = Host.parse(text);
        } catch (InvalidSettingException x) {
          throw fail(at, x.getMessage(), x);
        }
        java.net.InetAddress ip = NetUtil.createInetAddressFromIpAddressString(h.name());
        if (ip == null) {
          throw fail(at, "must be an IP address with a port, as 10.0.0.2:53, but was '" + text + "'", null);
        }
        InetSocketAddress a = new InetSocketAddress(ip, h.port());
        resolvers.add(a);
      }
      b.resolvers(resolvers);
    }
    try {
      return b.build();
    } catch (InvalidSettingException x) {
      throw fail(path + "." + x.setting(), x.problem(), x);
    }
  }

  private HealthCheck healthCheck(ConfigFile.HealthCheck h, String path) {
    HealthCheck defaults = HealthCheck.defaults();
    Duration interval = h.interval() == null ? defaults.interval() : duration(h.interval(), path + ".interval");
    Duration timeout = h.timeout() == null ? defaults.timeout() : duration(h.timeout(), path + ".timeout");
    try {
      return HealthCheck.of(interval, timeout,
          h.rise() == null ? defaults.rise() : h.rise(),
          h.fall() == null ? defaults.fall() : h.fall());
    } catch (InvalidSettingException x) {
      String field = path + "." + x.setting();
      switch (x.setting()) {
        case "interval" -> throw notPositive(field, h.interval(), x);
        case "timeout" -> throw notPositive(field, h.timeout(), x);
        default -> throw fail(field, x.problem(), x);
      }
    }
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
          throw fail(path, "expected a mapping of settings (connectionsPerSecond, burst, maxConcurrent,"
              + " bytesPerSecond, bytesBurst)", null);
        }
        overrides.put(e.getKey(), limit(e.getValue(), path));
      }
    }
    RedisConfig redis = r.redis() == null ? null : redis(r.redis());
    return new RateLimitConfig(new ClientLimits(defaults, overrides), redis);
  }

  /** Reads rateLimit.redis; the library's builder holds the rules of each value. */
  private RedisConfig redis(ConfigFile.Redis r) {
    RedisRateLimiter.Builder check = RedisRateLimiter.builder();
    String path = "rateLimit.redis";
    if ((r.uri() == null) == (r.cluster() == null)) {
      throw fail(path, "needs exactly one of uri (a server, or a Sentinel set as redis-sentinel://)"
          + " and cluster (a list of redis:// node URIs)", null);
    }
    List<String> cluster = r.cluster() == null ? null : List.copyOf(r.cluster());
    try {
      if (r.uri() != null) {
        check.redisUri(r.uri());
      } else {
        check.cluster(cluster);
      }
    } catch (InvalidSettingException e) {
      String field = r.uri() != null ? path + ".uri" : path + ".cluster";
      throw fail(field, e.problem(), e);
    } catch (NullPointerException e) {
      throw fail(path + ".cluster", "must not list an empty node", e);
    }
    try {
      if (r.keyPrefix() != null) {
        check.keyPrefix(r.keyPrefix());
      }
      if (r.instanceId() != null) {
        check.instanceId(r.instanceId());
      }
    } catch (InvalidSettingException e) {
      throw fail(path + "." + e.setting(), e.problem(), e);
    }
    Duration timeout = r.commandTimeout() == null
        ? null
        : duration(r.commandTimeout(), path + ".commandTimeout", check::commandTimeout);
    Duration lease = null;
    if (r.leaseTime() != null) {
      lease = duration(r.leaseTime(), path + ".leaseTime");
      try {
        check.leaseTime(lease);
      } catch (InvalidSettingException e) {
        throw fail(path + ".leaseTime", "must be at least 1s but was '" + r.leaseTime() + "'", e);
      }
    }
    return new RedisConfig(r.uri(), cluster, r.failOpen(), r.keyPrefix(), timeout, lease,
        r.instanceId());
  }

  private ClientLimit limit(ConfigFile.Limit l, String path) {
    double rate = l.connectionsPerSecond() == null ? 0 : l.connectionsPerSecond();
    long burst = l.burst() == null ? 0 : l.burst();
    int max = l.maxConcurrent() == null ? 0 : l.maxConcurrent();
    if (rate > 0 && l.burst() == null) {
      throw fail(path + ".burst", "is required with connectionsPerSecond", null);
    }
    long bytesRate = l.bytesPerSecond() == null ? 0 : l.bytesPerSecond();
    long bytesBurst = l.bytesBurst() == null ? 0 : l.bytesBurst();
    try {
      return new ClientLimit(rate, burst, max, bytesRate, bytesBurst);
    } catch (InvalidSettingException e) {
      // ClientLimit names its settings as the file does: connectionsPerSecond, burst, maxConcurrent,
      // bytesPerSecond, bytesBurst.
      throw fail(path + "." + e.setting(), e.problem(), e);
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

  /** Parses a duration as the file writes it; a file cannot write a negative one. */
  private Duration duration(String text, String path) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw fail(path, e.getMessage(), e);
    }
  }

  /**
   * Parses a duration and hands it to the library's setter, which holds the rule of its range.
   * A file cannot write a negative duration, so what a setter refuses is a zero it needs positive.
   */
  private Duration duration(String text, String path, Consumer<Duration> setter) {
    Duration d = duration(text, path);
    try {
      setter.accept(d);
    } catch (IllegalArgumentException e) {
      throw notPositive(path, text, e);
    }
    return d;
  }

  private ConfigException notPositive(String path, String text, IllegalArgumentException cause) {
    return fail(path, "must be more than 0 but was '" + text + "'", cause);
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

  /** Parses a listen address with the library's parser: host:port, port 0 for any free port. */
  private InetSocketAddress address(String text, String path) {
    try {
      return Host.parseListenAddress(text);
    } catch (InvalidSettingException e) {
      throw fail(path, e.getMessage(), e);
    }
  }

  private ConfigException fail(String path, String problem, Throwable cause) {
    return new ConfigException(source.label(), path, problem, cause);
  }
}
