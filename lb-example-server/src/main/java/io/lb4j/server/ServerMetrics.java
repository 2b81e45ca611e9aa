package io.lb4j.server;

import io.lb4j.api.HostSource;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.discovery.DiscoveryStatus;
import io.lb4j.micrometer.ConnectionMetrics;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.redis.RedisRateLimiter;
import io.lb4j.tls.CrlStatus;
import io.lb4j.tls.OcspOutcome;
import io.lb4j.tls.PemTlsContextFactory;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The server's metrics, in a Prometheus registry: the connection counters and timers of
 * lb-micrometer's {@link ConnectionMetrics}, fed by connection events, and gauges read from the
 * load balancer, the TLS factory and the shared rate limiter when scraped.
 *
 * <p>Every meter a connection touches is made up front, per upstream (the set of upstreams only
 * changes with a restart), so {@link #onClosed} takes no lock and allocates nothing. Thread-safe.
 */
final class ServerMetrics implements ConnectionListener {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<String> upstreams;
  private final ConnectionMetrics connections;
  private final MultiGauge active;
  private final MultiGauge up;
  private final MultiGauge discovered;
  /** Upstreams whose discovery meters exist; touched only by scrapes, under this set's lock. */
  private final java.util.Set<String> discoveryBound = new java.util.HashSet<>();
  private volatile MultiGauge crlNextUpdate;
  private volatile MultiGauge clientConnections;
  private volatile RedisRateLimiter fleet;
  /** The fleet's count of each listed client, as Redis answered the last scrape's question. */
  private final Map<String, Long> fleetCounts = new ConcurrentHashMap<>();
  private volatile PemTlsContextFactory crlFactory;

  /**
   * Makes every meter that does not need the running load balancer.
   *
   * @param upstreams the names of the upstreams served
   * @param draining whether the server is stopping; read at each scrape, from the scraping thread
   */
  ServerMetrics(List<String> upstreams, BooleanSupplier draining) {
    this.upstreams = List.copyOf(upstreams);
    this.connections = new ConnectionMetrics(registry, upstreams);
    this.active = MultiGauge.builder("lb4j.host.connections")
        .description("Connections a host holds now, counting those still connecting")
        .register(registry);
    this.up = MultiGauge.builder("lb4j.host.up")
        .description("1 while a host may take connections (healthy, not draining), else 0")
        .register(registry);
    this.discovered = MultiGauge.builder("lb4j.host.discovered")
        .description("1 for each discovered host, with the DNS name it came from (name)")
        .register(registry);
    // A strong reference: the gauge is the only holder of this supplier, and Micrometer's default
    // weak one would let it be collected and the gauge read NaN.
    Gauge.builder("lb4j.draining", draining, d -> d.getAsBoolean() ? 1 : 0)
        .description("1 while the server stops: it accepts no new connections, open ones drain; else 0")
        .strongReference(true)
        .register(registry);
    // The JVM's heap and non-heap pools, and the direct memory Netty holds (its pooled buffers
    // live outside the JDK's buffer-pool accounting).
    new JvmMemoryMetrics().bindTo(registry);
    // Open and maximum file descriptors (Unix only; absent elsewhere): every connection holds two,
    // so the alert on running out of them watches these.
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("lb4j.netty.direct.memory", PlatformDependent::usedDirectMemory)
        .description("Direct memory Netty has allocated (pooled buffers included), -1 if not counted")
        .baseUnit("bytes")
        .register(registry);
  }

  /**
   * Adds the meters that read the running load balancer and the shared rate limiter; call once
   * they have started.
   *
   * @param redis the shared rate limiter, or null when limits are kept in this process
   */
  void bind(LoadBalancer lb, RedisRateLimiter redis) {
    Gauge.builder("lb4j.connections.open", lb, LoadBalancer::openConnections)
        .description("Client connections open now, in any state")
        .register(registry);
    if (redis != null) {
      Gauge.builder("lb4j.ratelimit.redis.available", redis, r -> r.redisAvailable() ? 1 : 0)
          .description("1 while the shared rate limit store answered its last command, else 0")
          .register(registry);
      FunctionCounter.builder("lb4j.ratelimit.redis.failures", redis, RedisRateLimiter::redisFailures)
          .description("Decisions that could not reach the shared rate limit store")
          .register(registry);
      clientConnections = MultiGauge.builder("lb4j.ratelimit.client.connections")
          .description("Open connections of each client listed under rateLimit.clients with a"
              + " maxConcurrent: through this instance (scope instance) and the fleet (scope fleet)")
          .register(registry);
      fleet = redis;
    }
  }

  /**
   * Adds a gauge of when the server's own certificate expires (its {@code notAfter}, in seconds
   * since the epoch), read at each scrape so that a reloaded certificate shows at once: clients
   * refuse an expired server certificate, so an alert must fire well before. Call once, when the
   * server has TLS.
   *
   * @param tls the TLS factory that holds the certificate
   */
  void bindServerCertificate(PemTlsContextFactory tls) {
    Gauge.builder("lb4j.tls.certificate.not.after", tls,
            t -> t.certificate().getNotAfter().toInstant().getEpochSecond())
        .description("When the server's TLS certificate expires (its notAfter)")
        .baseUnit("seconds")
        .strongReference(true)
        .register(registry);
  }

  /**
   * Adds a gauge per loaded certificate revocation list: the time of its {@code nextUpdate}, in
   * seconds since the epoch, by issuer and file (a handful of rows, fixed by the configuration), so
   * an alert can fire before a list goes stale. Call once, when the server has CRLs.
   *
   * @param tls the TLS factory that loads the lists
   */
  void bindRevocationLists(PemTlsContextFactory tls) {
    crlNextUpdate = MultiGauge.builder("lb4j.tls.crl.next.update")
        .description("When each loaded certificate revocation list must be replaced (its nextUpdate)")
        .baseUnit("seconds")
        .register(registry);
    crlFactory = tls;
  }

  /**
   * Adds a counter of the OCSP lookups of client certificates by outcome ({@code good},
   * {@code revoked}, {@code unknown}, {@code error}, {@code timeout}, {@code cached}), read from the
   * factory when scraped. Call once, when the server checks certificates with OCSP.
   *
   * @param tls the TLS factory that makes the lookups
   */
  void bindOcsp(PemTlsContextFactory tls) {
    for (OcspOutcome outcome : OcspOutcome.values()) {
      FunctionCounter.builder("lb4j.tls.ocsp.lookups", tls, t -> t.ocspLookups().get(outcome))
          .description("OCSP lookups of client certificates, by outcome; cached: answered from "
              + "the cache without asking the responder")
          .tags("outcome", outcome.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
  }

  private void refreshRevocationLists() {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (CrlStatus crl : crlFactory.crls()) {
      crl.nextUpdate().ifPresent(next -> rows.add(MultiGauge.Row.of(
          Tags.of("issuer", crl.issuer(), "file", crl.file().toString()), next.getEpochSecond())));
    }
    crlNextUpdate.register(rows, true);
  }

  /** Reads host counts and health from the load balancer into the gauges. */
  private void refreshHosts(LoadBalancer lb) {
    List<MultiGauge.Row<?>> activeRows = new ArrayList<>();
    List<MultiGauge.Row<?>> upRows = new ArrayList<>();
    List<MultiGauge.Row<?>> discoveredRows = new ArrayList<>();
    for (String name : upstreams) {
      boolean discovering = lb.discoveryStatus(name).isPresent();
      if (discovering) {
        bindDiscovery(lb, name);
      }
      for (HostStatus s : lb.hostStatus(name)) {
        Tags tags = Tags.of("upstream", name, "host", s.host().toString());
        activeRows.add(MultiGauge.Row.of(tags, s.activeConnections()));
        upRows.add(MultiGauge.Row.of(tags, s.eligible() ? 1 : 0));
        if (discovering) {
          lb.origin(name, s.host()).ifPresent(origin ->
              discoveredRows.add(MultiGauge.Row.of(tags.and("name", origin), 1)));
        }
      }
    }
    active.register(activeRows, true);
    up.register(upRows, true);
    discovered.register(discoveredRows, true);
  }

  /**
   * Adds the meters of an upstream whose hosts are discovered, the first time a scrape finds it so
   * (at start, or after a reload that turned discovery on): the age of its host set, its size,
   * and its failed lookups by kind. They read the load balancer's status at each scrape.
   */
  private void bindDiscovery(LoadBalancer lb, String name) {
    synchronized (discoveryBound) {
      if (!discoveryBound.add(name)) {
        return;
      }
    }
    Gauge.builder("lb4j.discovery.set.age", lb, l -> l.discoveryStatus(name)
            .flatMap(DiscoveryStatus::setAge)
            .map(age -> age.toNanos() / 1e9)
            .orElse(-1.0))
        .description("Seconds since the upstream's discovered host set was last confirmed by a"
            + " lookup; -1 before a first set")
        .baseUnit("seconds")
        .tags("upstream", name)
        .register(registry);
    Gauge.builder("lb4j.discovery.hosts", lb,
            l -> l.discoveryStatus(name).map(DiscoveryStatus::hosts).orElse(0))
        .description("Hosts in the upstream's last discovered set")
        .tags("upstream", name)
        .register(registry);
    for (HostSource.Failure kind : HostSource.Failure.values()) {
      FunctionCounter.builder("lb4j.discovery.failures", lb,
              l -> l.discoveryStatus(name).map(s -> s.failures(kind)).orElse(0L))
          .description("Lookups of the upstream's hosts that failed, by kind; the last set is kept")
          .tags("upstream", name, "kind", kind.tag())
          .register(registry);
    }
  }

  /**
   * Reads the counts of the clients the configuration lists with a cap. The fleet's count is the
   * one Redis gave for the previous scrape, and a new question is sent for the next: a scrape
   * never waits for Redis. A client whose fleet count is not known yet has no fleet row.
   */
  private void refreshClients(RedisRateLimiter redis) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (Map.Entry<String, ClientLimit> e : redis.limits().overrides().entrySet()) {
      if (!e.getValue().hasConcurrencyLimit()) {
        continue;
      }
      String cn = e.getKey();
      listed.add(cn);
      rows.add(MultiGauge.Row.of(Tags.of("client", cn, "scope", "instance"),
          redis.connectionsInUse(cn)));
      Long known = fleetCounts.get(cn);
      if (known != null && known >= 0) {
        rows.add(MultiGauge.Row.of(Tags.of("client", cn, "scope", "fleet"), known));
      }
      redis.fetchConnectionCounts(cn).thenAccept(c -> fleetCounts.put(cn, c.fleet()));
    }
    fleetCounts.keySet().retainAll(listed);
    clientConnections.register(rows, true);
  }

  /** Returns the metrics in Prometheus's text format. */
  String scrape(LoadBalancer lb) {
    if (lb != null) {
      refreshHosts(lb);
    }
    RedisRateLimiter redis = fleet;
    if (redis != null) {
      refreshClients(redis);
    }
    if (crlFactory != null) {
      refreshRevocationLists();
    }
    return registry.scrape();
  }

  @Override
  public void onClosed(ConnectionEvent e) {
    connections.onClosed(e);
  }
}
