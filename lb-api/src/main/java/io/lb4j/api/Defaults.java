package io.lb4j.api;

import java.time.Duration;

/**
 * The default of every lb4j setting, in one place. Builders fall back to these values, and the
 * reference server documents them from here.
 */
public final class Defaults {

  /** How long a connect to an upstream host may take before the next host is tried. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** How long a forwarded connection may carry no bytes in either direction before it is closed. */
  public static final Duration IDLE_TIMEOUT = Duration.ofHours(1);

  /** How many hosts one client connection may try before it is refused with no host. */
  public static final int CONNECT_ATTEMPTS = 3;

  /** A host's weight when none is set: every host of an upstream counts the same. */
  public static final int HOST_WEIGHT = 1;

  /** The largest host weight (HAProxy's limit too). */
  public static final int MAX_HOST_WEIGHT = 256;

  /**
   * The slow-start period of an upstream's hosts: none, a host takes its full weight as soon as it
   * joins or comes back up.
   */
  public static final Duration SLOW_START = Duration.ZERO;

  /** How long a passively marked host (its connect failed) stays out when no health check runs. */
  public static final Duration PASSIVE_DOWN_TIME = Duration.ofSeconds(10);

  /** Time between two active health checks of one host (HAProxy's {@code inter} default). */
  public static final Duration HEALTH_CHECK_INTERVAL = Duration.ofSeconds(2);

  /** Connect timeout of one active health check. */
  public static final Duration HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(1);

  /** Successful checks in a row that bring a host back. */
  public static final int HEALTH_CHECK_RISE = 2;

  /** Failed checks in a row that take a host out. */
  public static final int HEALTH_CHECK_FALL = 3;

  /** How long a TLS handshake may take before the client is refused. */
  public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  /** How long {@code close()} lets open connections finish before closing them. */
  public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Bytes received from a client before its upstream connection is up that lb4j holds; past this,
   * it stops reading from that client until the upstream connects.
   */
  public static final int EARLY_DATA_LIMIT = 64 * 1024;

  /**
   * How long one DNS query for a host's name may go unanswered before the next name server is
   * asked; a lookup that fails is a failed connect attempt of that host.
   */
  public static final Duration DNS_QUERY_TIMEOUT = Duration.ofSeconds(2);

  /**
   * The shortest time between two lookups of a discovered upstream's hosts when they follow the
   * records' TTL (a TTL of 0, as Consul gives by default, is read as this), and the first pause
   * before a failed lookup is tried again.
   */
  public static final Duration DISCOVERY_MIN_REFRESH = Duration.ofSeconds(1);

  /**
   * The longest time between two lookups of a discovered upstream's hosts when they follow the
   * records' TTL, and the longest pause between tries while lookups fail.
   */
  public static final Duration DISCOVERY_MAX_REFRESH = Duration.ofSeconds(60);

  /**
   * How many connections the kernel queues on a listener before lb4j accepts them ({@code listen}'s
   * backlog); a connection arriving while the queue is full is refused or retried by the client.
   */
  public static final int LISTEN_BACKLOG = 1024;

  /**
   * How often the reference server checks its configuration file and the TLS certificate, key and
   * CA files for changes. A library user chooses whether and how often a
   * {@code PemTlsContextFactory} polls its files ({@code watch}); it does not poll by default.
   */
  public static final Duration RELOAD_INTERVAL = Duration.ofSeconds(2);

  /**
   * How long before a TLS certificate revocation list's next update lb4j warns that it needs
   * replacing ({@code PemTlsContextFactory.Builder.crlExpiryWarning}).
   */
  public static final Duration CRL_EXPIRY_WARNING = Duration.ofDays(7);

  /**
   * How long the handshake's admission waits for an OCSP responder's answer about a client
   * certificate ({@code PemTlsContextFactory.Builder.ocspTimeout}).
   */
  public static final Duration OCSP_TIMEOUT = Duration.ofSeconds(2);

  /**
   * How many verified OCSP answers are cached, one per client certificate
   * ({@code PemTlsContextFactory.Builder.ocspCacheMax}).
   */
  public static final int OCSP_CACHE_MAX = 10_000;

  private Defaults() {}

  // ---- rate limiting (lb-ratelimit, lb-ratelimit-redis)

  /**
   * How long a rate limiter remembers a client with no open connection and no new one; a client
   * whose bucket takes longer to refill is remembered until it would be full.
   */
  public static final Duration RATE_LIMIT_EXPIRE_AFTER_IDLE = Duration.ofMinutes(10);

  /**
   * How many idle clients a rate limiter remembers at most (about 35 MB with buckets); clients with
   * open connections are kept on top of these.
   */
  public static final long RATE_LIMIT_MAXIMUM_CLIENTS = 100_000;

  /** The prefix of the keys under which the Redis-backed rate limiter stores its buckets. */
  public static final String RATE_LIMIT_REDIS_KEY_PREFIX = "lb4j:ratelimit:";

  /** How long one rate-limit decision may wait for Redis before it counts as a Redis failure. */
  public static final Duration RATE_LIMIT_REDIS_COMMAND_TIMEOUT = Duration.ofMillis(250);

  /**
   * Whether the Redis-backed rate limiter admits (true) or refuses (false) connections with a rate
   * limit while Redis cannot be reached.
   */
  public static final boolean RATE_LIMIT_REDIS_FAIL_OPEN = true;

  /**
   * How long the Redis-backed rate limiter's instance holds its share of the fleet-wide
   * concurrent-connection counts without renewing it: an instance that stops renewing (it died, or
   * lost Redis) has its slots returned to the fleet after this. It renews three times per lease.
   */
  public static final Duration RATE_LIMIT_REDIS_LEASE_TIME = Duration.ofSeconds(30);
}
