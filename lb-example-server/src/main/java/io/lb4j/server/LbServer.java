package io.lb4j.server;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.Host;
import io.lb4j.api.RateLimiter;
import com.fasterxml.jackson.databind.JsonNode;
import io.lb4j.impl.Admin;
import io.lb4j.impl.ConnectionLog;
import io.lb4j.impl.ListenerBindException;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.impl.balancing.Strategies;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lb4j.ratelimit.redis.FailureMode;
import io.lb4j.ratelimit.redis.RedisRateLimiter;
import io.lb4j.server.ServerConfig.AdminConfig;
import io.lb4j.server.ServerConfig.RedisConfig;
import io.lb4j.server.ServerConfig.TlsConfig;
import io.lb4j.server.ServerConfig.UpstreamConfig;
import io.lb4j.tls.OcspMode;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running reference server: the load balancer, its TLS factory and rate limiter, the metrics
 * and access log, the admin listener, and the poller that applies changes of the configuration
 * file while running.
 *
 * <h2>Reload</h2>
 * Every poll interval the configuration file is read; once its contents changed and then stayed
 * the same for one more poll (so a file caught half-written is waited for), it is checked and
 * applied: host lists and upstream settings through {@link LoadBalancer#update}, allow lists
 * through {@link LoadBalancer#authorizer}, rate limits by updating the limiter in place. Open
 * connections are kept. A file that does not check keeps the running configuration and logs why
 * in one line; changes that need a restart are logged and not applied. The TLS factory watches
 * the certificate files itself, at the same interval.
 *
 * <p>Thread-safe; reloads are serialised.
 */
final class LbServer implements AutoCloseable, AdminApi.Server {

  private static final Logger log = LoggerFactory.getLogger("lb4j.server");
  /** How often a server that replaces another tries to bind the admin port the other one holds. */
  private static final Duration ADMIN_TAKE_OVER_RETRY = Duration.ofMillis(100);

  private final ServerConfig started;
  private final PemTlsContextFactory tls;
  private final Consumer<ClientLimits> updateLimits;
  private final RedisRateLimiter redis;
  private final ServerMetrics metrics;
  private final LoadBalancer lb;
  /** Null without an admin section, and until taken over from a server being replaced. */
  private volatile AdminServer admin;
  /** The admin listener's own TLS factory, when it has its own certificates; else null. */
  private final PemTlsContextFactory adminTls;
  private final ScheduledExecutorService poller;
  private volatile boolean serving;
  /** Set once close() begins: the listeners stop accepting and open connections drain. */
  private volatile boolean draining;
  /** Whether the load balancer has started, and so can be asked for host status; also while draining. */
  private volatile boolean lbStarted;
  private boolean closed;

  // What is in force, guarded by this.
  private final Map<String, UpstreamConfig> appliedUpstreams = new LinkedHashMap<>();
  private final Map<String, BalancingStrategy> strategies = new LinkedHashMap<>();
  private AllowList appliedAllow;
  private ClientLimits appliedLimits;
  private byte[] appliedDigest;
  private byte[] lastSeenDigest;


  private LbServer(ServerConfig config, byte[] digest, Duration pollInterval) {
    this.started = config;
    this.appliedDigest = digest;
    this.lastSeenDigest = digest;
    PemTlsContextFactory tlsFactory = null;
    PemTlsContextFactory adminTlsFactory = null;
    RedisRateLimiter redisLimiter = null;
    AdminServer adminServer = null;
    LoadBalancer loadBalancer = null;
    try {
      if (config.tls() != null) {
        tlsFactory = tls(config.tls(), pollInterval, "");
      }
      if (config.admin() != null && config.admin().tls() != null) {
        adminTlsFactory = tls(config.admin().tls(), pollInterval, "admin.");
      }
      ClientLimits limits = config.rateLimit().limits();
      RedisConfig redisConfig = config.rateLimit().redis();
      RateLimiter limiter;
      if (redisConfig != null) {
        redisLimiter = redis(redisConfig, limits);
        limiter = redisLimiter;
        this.updateLimits = redisLimiter::updateLimits;
      } else {
        // Always a limiter, even an unlimited one: limits added by a reload then apply in place,
        // and admitted connections are released to the limiter that admitted them.
        LocalRateLimiter local = LocalRateLimiter.builder().limits(limits).build();
        limiter = local;
        this.updateLimits = local::updateLimits;
      }
      this.appliedLimits = limits;
      this.metrics = new ServerMetrics(
          config.upstreams().stream().map(UpstreamConfig::name).toList(), () -> draining);

      LoadBalancer.Builder b = LoadBalancer.builder();
      for (UpstreamConfig u : config.upstreams()) {
        BalancingStrategy strategy = strategy(u.strategy());
        strategies.put(u.name(), strategy);
        appliedUpstreams.put(u.name(), u);
        b.upstream(u.toUpstream(strategy), u.listen(), u.serverName());
        if (u.acceptProxy()) {
          b.acceptProxy(u.name());
        }
      }
      if (tlsFactory != null) {
        appliedAllow = allowList(config.upstreams());
        b.tls(tlsFactory).handshakeTimeout(config.tls().handshakeTimeout()).authorizer(appliedAllow)
            .onRevoke(config.tls().onRevoke());
      }
      b.rateLimiter(limiter)
          .listener(metrics)
          // Read once the load balancer runs: events come only after it started.
          .listener(new ConnectionLog(this::hostOrigin))
          .drainTimeout(config.drainTimeout())
          .ioThreads(config.ioThreads());
      try {
        loadBalancer = b.build();
      } catch (IllegalArgumentException e) {
        throw new ConfigException(config.source().label(), "upstreams", e.getMessage(), e);
      }
      this.lb = loadBalancer;
      if (config.admin() != null) {
        try {
          adminServer = admin(config.admin(), adminTlsOf(config.admin(), tlsFactory, adminTlsFactory));
        } catch (ConfigException e) {
          // A port in use may be held by the server this one replaces, if that one listens on
          // this one's ports too: then the admin port is taken over later (takeOverAdmin).
          if (!addressInUse(e) || !loadBalancer.sharesListeners()) {
            throw e;
          }
        }
      }
      start(loadBalancer);
      lbStarted = true;
      metrics.bind(loadBalancer, redisLimiter);
      if (tlsFactory != null) {
        metrics.bindServerCertificate(tlsFactory);
      }
      if (tlsFactory != null && !config.tls().crls().isEmpty()) {
        metrics.bindRevocationLists(tlsFactory);
      }
      if (tlsFactory != null && config.tls().ocsp().mode() != OcspMode.OFF) {
        metrics.bindOcsp(tlsFactory);
      }
    } catch (RuntimeException e) {
      closeQuietly(adminServer);
      closeQuietly(loadBalancer);
      closeQuietly(redisLimiter);
      closeQuietly(adminTlsFactory);
      closeQuietly(tlsFactory);
      throw e;
    }
    this.tls = tlsFactory;
    this.adminTls = adminTlsFactory;
    this.redis = redisLimiter;
    this.admin = adminServer;
    this.serving = true;
    warnAboutRefusals(config);
    if (admin != null) {
      logAdminAddress(config.admin());
    }
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb4j-config-watch");
      t.setDaemon(true);
      return t;
    });
    long nanos = pollInterval.toNanos();
    poller.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
    if (config.admin() != null && admin == null) {
      takeOverAdmin(config.admin());
    }
  }

  private void logAdminAddress(AdminConfig config) {
    log.info("admin listener on {} (metrics, healthz{})", admin.url(), config.api() ? ", api" : "");
  }

  private static PemTlsContextFactory adminTlsOf(
      AdminConfig config, PemTlsContextFactory main, PemTlsContextFactory own) {
    return config.mainTls() ? main : own;
  }

  /** Whether binding failed because the address is in use (the JDK's or Netty's native error). */
  private static boolean addressInUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * This server replaces one that still runs (its listeners share their ports): the admin port,
   * which cannot be shared, stays with the old server until it begins to stop, which frees it at
   * once (see {@link #close()}). Until then, binding it is tried again at short intervals.
   */
  private void takeOverAdmin(AdminConfig config) {
    InetSocketAddress address = config.listen();
    log.info("admin listener {}:{} is held by the server this one replaces; it is taken over when"
        + " that one is stopped", address.getHostString(), address.getPort());
    long nanos = ADMIN_TAKE_OVER_RETRY.toNanos();
    poller.scheduleWithFixedDelay(() -> {
      synchronized (this) {
        if (closed || admin != null) {
          return;
        }
        try {
          admin = admin(config, adminTlsOf(config, tls, adminTls));
        } catch (ConfigException e) {
          return;
        }
        logAdminAddress(config);
      }
    }, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Starts serving a configuration file.
   *
   * @param config the checked configuration, as {@link ConfigReader} read it
   * @param pollInterval how often the configuration and certificate files are checked for changes
   * @return the running server
   * @throws ConfigException if something the file names cannot be used (certificate files,
   *     addresses in use); then nothing is left running
   */
  static LbServer start(ServerConfig config, Duration pollInterval) {
    Objects.requireNonNull(config, "config");
    // The contents this configuration was read from, not the file as it is now: a change made
    // in between is then seen, and applied, by the first poll.
    byte[] digest = HexFormat.of().parseHex(config.source().digest());
    return new LbServer(config, digest, pollInterval);
  }

  // ---- building

  /**
   * Builds a TLS factory from a tls section: the top-level one ({@code at} empty) or the admin
   * listener's own ({@code at} {@code admin.}).
   */
  private PemTlsContextFactory tls(TlsConfig t, Duration pollInterval, String at) {
    String label = started.source().label();
    try {
      PemTlsContextFactory.Builder b = PemTlsContextFactory.builder()
          .certificateChain(t.certificate())
          .privateKey(t.privateKey())
          .clientCa(t.clientCa())
          .watch(pollInterval);
      if (t.protocols() != null) {
        b.protocols(t.protocols());
      }
      if (t.cipherSuites() != null) {
        b.cipherSuites(t.cipherSuites());
      }
      if (t.sessionTicketKeys() != null) {
        b.sessionTicketKeys(t.sessionTicketKeys());
      }
      if (t.ocsp().mode() != OcspMode.OFF) {
        b.ocspMode(t.ocsp().mode())
            .ocspTimeout(t.ocsp().timeout())
            .ocspCacheMax(t.ocsp().cacheMax());
        if (t.ocsp().responderOverride() != null) {
          b.ocspResponderOverride(t.ocsp().responderOverride());
        }
      }
      if (!t.crls().isEmpty()) {
        b.crls(t.crls())
            .acceptStaleCrls(t.acceptStaleCrls())
            .crlExpiryWarning(t.crlExpiryWarning());
      }
      return b.build();
    } catch (TlsConfigException e) {
      throw new ConfigException(label, at + tlsField(e.setting()), e.problem(), e);
    }
  }

  /** The configuration field that a TLS builder setting comes from. */
  static String tlsField(String setting) {
    return switch (setting) {
      case "certificateChain" -> "tls.certificate";
      case "privateKey" -> "tls.privateKey";
      case "clientCa" -> "tls.clientCa";
      case "protocols" -> "tls.protocols";
      case "cipherSuites" -> "tls.cipherSuites";
      case "crls" -> "tls.crl";
      case "crlExpiryWarning" -> "tls.crlExpiryWarning";
      case "sessionTicketKeys" -> "tls.sessionTicketKeys";
      case "ocspMode" -> "tls.ocsp.mode";
      case "ocspResponderOverride" -> "tls.ocsp.responderOverride";
      case "ocspTimeout" -> "tls.ocsp.timeout";
      case "ocspCacheMax" -> "tls.ocsp.cacheMax";
      default -> "tls";
    };
  }

  private RedisRateLimiter redis(RedisConfig r, ClientLimits limits) {
    RedisRateLimiter.Builder b = RedisRateLimiter.builder();
    // ConfigReader checked the values with the same builder.
    if (r.uri() != null) {
      b.redisUri(r.uri());
    } else {
      b.cluster(r.cluster());
    }
    if (r.leaseTime() != null) {
      b.leaseTime(r.leaseTime());
    }
    if (r.instanceId() != null) {
      b.instanceId(r.instanceId());
    }
    if (r.failOpen() != null) {
      b.failureMode(r.failOpen() ? FailureMode.FAIL_OPEN : FailureMode.FAIL_CLOSED);
    }
    if (r.keyPrefix() != null) {
      b.keyPrefix(r.keyPrefix());
    }
    if (r.commandTimeout() != null) {
      b.commandTimeout(r.commandTimeout());
    }
    return b.limits(limits).build();
  }

  private AdminServer admin(AdminConfig config, PemTlsContextFactory adminTlsFactory) {
    InetSocketAddress address = config.listen();
    try {
      return AdminServer.start(new AdminServer.Settings(
          address,
          adminTlsFactory,
          AdminServer.allowList(config.allow()),
          config.api() ? new AdminApi(() -> this) : null,
          this::metricsText,
          () -> serving));
    } catch (UncheckedIOException e) {
      throw new ConfigException(started.source().label(), "admin.listen",
          "cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
              + e.getCause().getMessage(), e);
    }
  }

  private void start(LoadBalancer loadBalancer) {
    try {
      loadBalancer.start();
    } catch (ListenerBindException e) {
      // The first upstream of the listener is the one whose listen field the file gave first.
      String first = e.upstreams().get(0);
      String field = started.upstreams().stream().filter(u -> u.name().equals(first))
          .map(u -> u.path() + ".listen").findFirst().orElse("upstreams");
      throw new ConfigException(started.source().label(), field, e.getMessage(), e);
    }
  }

  /**
   * Returns a new instance of the strategy the file names; the reader checked the name.
   *
   * @throws io.lb4j.api.InvalidSettingException if there is no strategy of that name
   */
  static BalancingStrategy strategy(String name) {
    return Strategies.named(name);
  }

  private static AllowList allowList(List<UpstreamConfig> upstreams) {
    AllowList.Builder b = AllowList.builder();
    for (UpstreamConfig u : upstreams) {
      b.allow(u.name(), u.allow());
    }
    return b.build();
  }

  private void warnAboutRefusals(ServerConfig config) {
    if (config.tls() == null) {
      log.warn("{}: no tls section: clients are neither authenticated nor authorized",
          config.source().label());
      return;
    }
    for (UpstreamConfig u : config.upstreams()) {
      if (u.allow().isEmpty()) {
        log.warn("{}: {}.allow is empty: upstream {} refuses every client",
            config.source().label(), u.path(), u.name());
      }
    }
  }

  // ---- running

  /** Returns the load balancer, for its bound addresses and host status. */
  LoadBalancer loadBalancer() {
    return lb;
  }

  /** Returns where the admin listener is bound, or null when there is none. */
  InetSocketAddress adminAddress() {
    return admin == null ? null : admin.address();
  }

  /** Returns the metrics, as {@code /metrics} answers them. */
  String metricsText() {
    return metrics.scrape(lbStarted ? lb : null);
  }

  /** One poller tick: applies the file once two consecutive reads agree. */
  private void poll() {
    try {
      synchronized (this) {
        if (closed) {
          return;
        }
        byte[] bytes = readQuietly();
        if (bytes == null) {
          return;
        }
        byte[] seen = ConfigReader.digest(bytes);
        boolean settled = Arrays.equals(seen, lastSeenDigest);
        lastSeenDigest = seen;
        if (settled && !Arrays.equals(seen, appliedDigest)) {
          apply(bytes, seen);
        }
      }
    } catch (RuntimeException e) {
      // An exception escaping a scheduled task would end all later polls.
      log.warn("{}: reload failed, the running configuration stays in use", started.source().label(), e);
    }
  }

  /**
   * Reads and applies the configuration file now, without waiting for it to settle.
   *
   * @return whether the file's contents differed from those applied last
   */
  synchronized boolean reload() {
    byte[] bytes = readQuietly();
    if (bytes == null) {
      return false;
    }
    byte[] seen = ConfigReader.digest(bytes);
    lastSeenDigest = seen;
    if (Arrays.equals(seen, appliedDigest)) {
      return false;
    }
    apply(bytes, seen);
    return true;
  }

  private byte[] readQuietly() {
    try {
      return Files.readAllBytes(started.source().path());
    } catch (IOException e) {
      byte[] seen = ConfigReader.digest(String.valueOf(e).getBytes(StandardCharsets.UTF_8));
      if (!Arrays.equals(seen, appliedDigest)) {
        appliedDigest = seen;
        log.warn("{}: cannot be read ({}); the running configuration stays in use",
            started.source().label(), e.getMessage());
      }
      return null;
    }
  }

  /** The DNS name a discovered host came from, for the access log. */
  private java.util.Optional<String> hostOrigin(String upstream, io.lb4j.api.Host host) {
    return lb.origin(upstream, host);
  }

  /**
   * What one application of the file did.
   *
   * @param valid whether the file checked; when not, nothing was applied
   * @param summary what was applied, or why the file was refused; one line
   */
  private record Applied(boolean valid, String summary) {}

  // Called holding this.
  private Applied apply(byte[] bytes, byte[] digest) {
    // Whatever happens below, these contents have had their say: do not log them again.
    appliedDigest = digest;
    ServerConfig next;
    try {
      next = ConfigReader.parse(bytes, started.source().path(), started.source().label());
    } catch (ConfigException e) {
      log.warn("{}; the running configuration stays in use", e.getMessage());
      return new Applied(false, e.getMessage() + "; the running configuration stays in use");
    }

    List<String> restart = ConfigChanges.needingRestart(started, next);
    List<String> applied = new ArrayList<>();
    Map<String, UpstreamConfig> nextByName = new LinkedHashMap<>();
    next.upstreams().forEach(u -> nextByName.put(u.name(), u));

    for (Map.Entry<String, UpstreamConfig> e : appliedUpstreams.entrySet()) {
      UpstreamConfig current = e.getValue();
      UpstreamConfig wanted = nextByName.get(e.getKey());
      if (wanted == null || ConfigChanges.sameForwarding(current, wanted)) {
        continue;
      }
      BalancingStrategy strategy = current.strategy().equals(wanted.strategy())
          ? strategies.get(e.getKey())
          : strategy(wanted.strategy());
      lb.update(wanted.toUpstream(strategy));
      strategies.put(e.getKey(), strategy);
      applied.add(ConfigChanges.describe(current, wanted));
      e.setValue(wanted);
    }
    if (tls != null) {
      List<UpstreamConfig> rules = new ArrayList<>();
      for (String name : appliedUpstreams.keySet()) {
        UpstreamConfig wanted = nextByName.get(name);
        rules.add(wanted != null ? wanted : appliedUpstreams.get(name));
      }
      AllowList allow = allowList(rules);
      if (!allow.equals(appliedAllow)) {
        lb.authorizer(allow);
        appliedAllow = allow;
        applied.add("allow lists");
        for (UpstreamConfig u : rules) {
          if (u.allow().isEmpty()) {
            log.warn("{}: {}.allow is empty: upstream {} refuses every client",
                next.source().label(), u.path(), u.name());
          }
        }
      }
    }
    ClientLimits limits = next.rateLimit().limits();
    if (!limits.equals(appliedLimits)) {
      updateLimits.accept(limits);
      appliedLimits = limits;
      applied.add("rate limits");
    }
    String label = next.source().label();
    if (!applied.isEmpty()) {
      log.info("{}: reloaded: {}", label, String.join("; ", applied));
    }
    if (!restart.isEmpty()) {
      log.warn("{}: not applied, these changes need a restart: {}", label, String.join("; ", restart));
    }
    if (applied.isEmpty() && restart.isEmpty()) {
      log.info("{}: changed, but nothing that is served changed", label);
    }
    List<String> said = new ArrayList<>();
    said.add(applied.isEmpty() ? "nothing served changed" : "reloaded: " + String.join("; ", applied));
    if (!restart.isEmpty()) {
      said.add("not applied, needing a restart: " + String.join("; ", restart));
    }
    return new Applied(true, String.join("; ", said));
  }

  // ---- the admin API's side

  @Override
  public Admin admin() {
    return lb.admin();
  }

  /**
   * Reads and applies the configuration file now, and the certificate files of every TLS factory,
   * for {@code POST /api/reload}.
   */
  @Override
  public synchronized AdminApi.ReloadOutcome reloadNow() {
    String before = shortDigest(appliedDigest);
    String configuration = null;
    String detail = null;
    int status = 200;
    byte[] bytes = null;
    try {
      bytes = Files.readAllBytes(started.source().path());
    } catch (IOException e) {
      configuration = "refused";
      detail = started.source().label() + ": cannot be read (" + e.getMessage()
          + "); the running configuration stays in use";
      status = 409;
    }
    if (bytes != null) {
      byte[] seen = ConfigReader.digest(bytes);
      lastSeenDigest = seen;
      if (Arrays.equals(seen, appliedDigest)) {
        configuration = "unchanged";
        detail = "configuration unchanged";
      } else {
        Applied applied = apply(bytes, seen);
        configuration = applied.valid() ? "applied" : "refused";
        detail = applied.summary();
        if (!applied.valid()) {
          status = 409;
        }
      }
    }
    String certificates = "none";
    for (PemTlsContextFactory factory : Arrays.asList(tls, adminTls)) {
      if (factory == null) {
        continue;
      }
      try {
        boolean changed = factory.reload();
        if (!certificates.equals("reloaded")) {
          certificates = changed ? "reloaded" : "unchanged";
        }
      } catch (TlsConfigException e) {
        certificates = "refused";
        detail = detail + "; certificates: " + e.getMessage() + "; those in use stay in use";
        status = 409;
        break;
      }
    }
    return new AdminApi.ReloadOutcome(status, configuration, certificates, detail, before,
        shortDigest(appliedDigest));
  }

  private static String shortDigest(byte[] digest) {
    return HexFormat.of().formatHex(digest).substring(0, 12);
  }

  /**
   * Returns the configuration in force: the upstreams as applied (weights as served), the allow
   * lists and rate limits as applied, and the sections that need a restart as started. Paths of
   * key files are shown, never their contents, and a Redis URI loses its password.
   */
  @Override
  public synchronized JsonNode effectiveConfig() {
    return EffectiveConfig.of(started, appliedUpstreams.values(), appliedLimits,
        lbStarted ? lb.admin() : null, HexFormat.of().formatHex(appliedDigest));
  }

  /** Returns the hosts of an upstream as the configuration in force lists them. */
  synchronized List<Host> appliedHosts(String upstream) {
    UpstreamConfig u = appliedUpstreams.get(upstream);
    return u == null ? List.of() : u.hosts();
  }

  /**
   * Stops accepting, lets open connections finish for the drain timeout, closes the rest, then
   * stops the admin listener and everything else. All through the drain {@code /healthz} answers
   * 503 and {@code /metrics} answers with {@code lb4j_draining} at 1 and the open connections
   * falling: neither waits for the drain. Idempotent; blocks until done.
   *
   * <p>When another server listens beside this one on its ports (it is replacing this one), the
   * admin listener closes first instead, so that the new server can take the admin port over.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    draining = true;
    serving = false;
    poller.shutdownNow();
    if (admin != null && lb.sharesListeners()) {
      // Another server listens beside this one and takes the new connections: it is replacing
      // this one. Free the admin port for it now, rather than at the end of the drain, so that
      // probes and scrapes reach the server that serves.
      closeQuietly(admin);
      admin = null;
      log.info("admin listener released to the server that replaces this one");
    }
    try {
      lb.close();
    } finally {
      closeQuietly(admin);
      closeQuietly(redis);
      closeQuietly(adminTls);
      closeQuietly(tls);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed", c, e);
    }
  }
}
