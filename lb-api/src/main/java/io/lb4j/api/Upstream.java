package io.lb4j.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A named service and the hosts that serve it, with the settings lb4j uses to reach them.
 *
 * <pre>{@code
 * Upstream echo = Upstream.builder("echo")
 *     .hosts(List.of(Host.parse("127.0.0.1:7001"), Host.parse("127.0.0.1:7002")))
 *     .connectTimeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe. An upstream may have no hosts (every connection to
 * it is then refused with {@link RefusalReason#NO_HOST}); its host list can be replaced while
 * lb4j runs.
 */
public final class Upstream {

  private final String name;
  private final List<Host> hosts;
  private final Map<Host, Integer> weights;
  private final BalancingStrategy strategy;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final int connectAttempts;
  private final HealthCheck healthCheck;
  private final Duration passiveDownTime;
  private final HostSource source;
  private final Duration slowStart;
  private final ProxyProtocol proxyProtocol;

  private Upstream(Builder b) {
    this.name = b.name;
    this.hosts = List.copyOf(b.hosts);
    Map<Host, Integer> kept = new HashMap<>(b.weights);
    kept.keySet().retainAll(this.hosts);
    this.weights = Map.copyOf(kept);
    this.strategy = b.strategy;
    this.connectTimeout = b.connectTimeout;
    this.idleTimeout = b.idleTimeout;
    this.connectAttempts = b.connectAttempts;
    this.healthCheck = b.healthCheck;
    this.passiveDownTime = b.passiveDownTime;
    this.source = b.source;
    this.slowStart = b.slowStart;
    this.proxyProtocol = b.proxyProtocol;
  }

  /**
   * Starts a builder for the upstream called {@code name}.
   *
   * @param name the upstream's name, as authorization rules and metrics refer to it; not blank
   * @return a builder with every setting at its {@link Defaults default}
   * @throws InvalidSettingException if the name is blank (setting {@code name})
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Returns a builder holding this upstream's settings, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.hosts.addAll(hosts);
    b.weights.putAll(weights);
    b.strategy = strategy;
    b.connectTimeout = connectTimeout;
    b.idleTimeout = idleTimeout;
    b.connectAttempts = connectAttempts;
    b.healthCheck = healthCheck;
    b.passiveDownTime = passiveDownTime;
    b.source = source;
    b.slowStart = slowStart;
    b.proxyProtocol = proxyProtocol;
    return b;
  }

  /**
   * Returns the weight of {@code host}: its share of connections relative to the upstream's other
   * hosts, where the strategy uses weights (least connections compares active connections per unit
   * of weight).
   *
   * @param host one of {@link #hosts()}
   * @return the weight set for it, or {@link Defaults#HOST_WEIGHT} if none was set (or the host is
   *     not in this upstream)
   */
  public int weight(Host host) {
    return weights.getOrDefault(host, Defaults.HOST_WEIGHT);
  }

  /** Returns the upstream's name. */
  public String name() {
    return name;
  }

  /** Returns the hosts in configuration order, without duplicates; an immutable list. */
  public List<Host> hosts() {
    return hosts;
  }

  /** Returns the strategy that picks hosts, or empty for lb4j's default, least connections. */
  public Optional<BalancingStrategy> strategy() {
    return Optional.ofNullable(strategy);
  }

  /** Returns how long one connect to a host may take. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Returns how long a connection may carry no bytes either way before it is closed. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** Returns how many hosts one client connection may try. */
  public int connectAttempts() {
    return connectAttempts;
  }

  /** Returns the active health check, or empty when only passive marks apply. */
  public Optional<HealthCheck> healthCheck() {
    return Optional.ofNullable(healthCheck);
  }

  /**
   * Returns how long a host whose connect failed stays out of rotation when no active health check
   * runs. With a health check, the check brings the host back instead.
   */
  public Duration passiveDownTime() {
    return passiveDownTime;
  }

  /**
   * Returns where the hosts come from when they are discovered rather than listed; then
   * {@link #hosts()} is empty here, and the load balancer fills the upstream it runs with each
   * set the source publishes.
   *
   * @return the source, or empty when the hosts are the fixed {@link #hosts()}
   */
  public Optional<HostSource> hostSource() {
    return Optional.ofNullable(source);
  }

  /**
   * Returns the slow-start period: how long a host that joins the upstream, or comes back after
   * being down, takes to reach its full weight, starting from a small share of it; zero (the
   * default) when hosts take their full share at once.
   */
  public Duration slowStart() {
    return slowStart;
  }

  /**
   * Returns the PROXY protocol header sent to the hosts at the start of each connection, or empty
   * when the hosts receive the client's bytes alone.
   */
  public Optional<ProxyProtocol> proxyProtocol() {
    return Optional.ofNullable(proxyProtocol);
  }

  @Override
  public String toString() {
    return "Upstream[" + name + " " + (source == null ? hosts : source) + "]";
  }

  /** Builds an {@link Upstream}. Each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<Host> hosts = new ArrayList<>();
    private final Map<Host, Integer> weights = new HashMap<>();
    private BalancingStrategy strategy;
    private Duration connectTimeout = Defaults.CONNECT_TIMEOUT;
    private Duration idleTimeout = Defaults.IDLE_TIMEOUT;
    private int connectAttempts = Defaults.CONNECT_ATTEMPTS;
    private HealthCheck healthCheck;
    private Duration passiveDownTime = Defaults.PASSIVE_DOWN_TIME;
    private HostSource source;
    private Duration slowStart = Defaults.SLOW_START;
    private ProxyProtocol proxyProtocol;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new InvalidSettingException(
            "name", name, "upstream name must not be blank", "must not be blank", null);
      }
      this.name = name;
    }

    /**
     * Replaces the host list. Duplicates are dropped, keeping the first.
     *
     * @param hosts the hosts, in the order round-robin visits them
     * @return this builder
     */
    public Builder hosts(List<Host> hosts) {
      Objects.requireNonNull(hosts, "hosts");
      this.hosts.clear();
      this.hosts.addAll(new LinkedHashSet<>(hosts));
      return this;
    }

    /**
     * Adds hosts to the list.
     *
     * @param more hosts to add
     * @return this builder
     */
    public Builder addHosts(Host... more) {
      for (Host h : more) {
        Objects.requireNonNull(h, "host");
        if (!hosts.contains(h)) {
          hosts.add(h);
        }
      }
      return this;
    }

    /**
     * Sets the weight of one host. A weight set for a host that is not in the list when the
     * upstream is built is dropped.
     *
     * @param host the host
     * @param weight from 1 to {@link Defaults#MAX_HOST_WEIGHT}; {@link Defaults#HOST_WEIGHT} unless
     *     set
     * @return this builder
     * @throws InvalidSettingException if the weight is out of range (setting {@code weight})
     */
    public Builder weight(Host host, int weight) {
      Objects.requireNonNull(host, "host");
      InvalidSettingException.requireArgument(
          weight >= 1 && weight <= Defaults.MAX_HOST_WEIGHT,
          "weight",
          weight,
          "must be from 1 to " + Defaults.MAX_HOST_WEIGHT + " but was " + weight);
      weights.put(host, weight);
      return this;
    }

    /**
     * Sets the strategy; null restores the default, least connections.
     *
     * @param strategy the strategy, or null
     * @return this builder
     */
    public Builder strategy(BalancingStrategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /**
     * Sets the connect timeout of one attempt.
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code connectTimeout})
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = InvalidSettingException.requirePositive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets the idle timeout.
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code idleTimeout})
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = InvalidSettingException.requirePositive(timeout, "idleTimeout");
      return this;
    }

    /**
     * Sets how many hosts one client connection may try.
     *
     * @param attempts at least 1
     * @return this builder
     * @throws InvalidSettingException if it is below 1 (setting {@code connectAttempts})
     */
    public Builder connectAttempts(int attempts) {
      this.connectAttempts = (int) InvalidSettingException.requireAtLeast(attempts, 1, "connectAttempts");
      return this;
    }

    /**
     * Sets the active health check; null turns it off.
     *
     * @param check the settings, or null
     * @return this builder
     */
    public Builder healthCheck(HealthCheck check) {
      this.healthCheck = check;
      return this;
    }

    /**
     * Sets how long a host whose connect failed stays out when no health check runs.
     *
     * @param downTime a positive duration
     * @return this builder
     * @throws InvalidSettingException if it is not positive (setting {@code passiveDownTime})
     */
    public Builder passiveDownTime(Duration downTime) {
      this.passiveDownTime = InvalidSettingException.requirePositive(downTime, "passiveDownTime");
      return this;
    }

    /**
     * Sends a PROXY protocol header to the hosts, first on every connection (health checks
     * included); null (the default) sends none.
     *
     * @param proxyProtocol the header's version and TLVs, or null
     * @return this builder
     */
    public Builder proxyProtocol(ProxyProtocol proxyProtocol) {
      this.proxyProtocol = proxyProtocol;
      return this;
    }

    /**
     * Sets the slow-start period (HAProxy's {@code slowstart}): a host that is added to the
     * upstream, or that comes back after being down, starts with a small share of its weight that
     * grows in proportion to the time since, reaching its full weight when the period is over, so
     * that least connections does not send a cold host all the connections it lacks at once. Hosts
     * present when lb4j starts take their full weight at once.
     *
     * @param period zero to turn slow start off (the default), or a positive duration
     * @return this builder
     * @throws InvalidSettingException if it is negative (setting {@code slowStart})
     */
    public Builder slowStart(Duration period) {
      this.slowStart = InvalidSettingException.requireNotNegative(period, "slowStart");
      return this;
    }

    /**
     * Takes the hosts from {@code source} instead of a fixed list: the load balancer watches it
     * while it runs and applies each host set it publishes. Null goes back to the fixed list.
     *
     * @param source where the hosts come from, or null
     * @return this builder
     */
    public Builder discover(HostSource source) {
      this.source = source;
      return this;
    }

    /**
     * Returns the upstream.
     *
     * @throws InvalidSettingException if both hosts and a {@linkplain #discover source} were
     *     given (setting {@code discover}): the hosts would be replaced by the source's at once
     */
    public Upstream build() {
      if (source != null && !hosts.isEmpty()) {
        throw InvalidSettingException.of(
            "discover", source, "cannot be set together with hosts: the hosts come from one or the other");
      }
      return new Upstream(this);
    }
  }
}
