package io.lb4j.micrometer;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.RefusalCause;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Counts lb4j's connections in a Micrometer {@link MeterRegistry}, with the meters of the
 * reference server: register it as a listener and every closed connection is counted.
 *
 * <pre>{@code
 * LoadBalancer.builder()
 *     .upstream(api, listen)
 *     .listener(new ConnectionMetrics(registry, List.of("api")))
 *     ...
 * }</pre>
 *
 * <h2>Meters</h2>
 * Each is tagged with the connection's {@code upstream}; in Prometheus's names:
 * <ul>
 *   <li>{@code lb4j_connections_total} by {@code outcome} ({@value #FORWARDED}, {@value #ABANDONED}
 *       or the refusal reason in lower case, as {@code no_host}) and {@code cause} (a TLS
 *       refusal's {@link RefusalCause} in lower case, as {@code revoked}; else empty);
 *   <li>{@code lb4j_connections_closed_total} by {@code reason}, the {@link CloseReason} in lower
 *       case;
 *   <li>{@code lb4j_traffic_bytes_total} by {@code direction} ({@code from_client},
 *       {@code to_client});
 *   <li>{@code lb4j_tls_handshake_seconds}, a timer of the successful handshakes;
 *   <li>{@code lb4j_connection_duration_seconds}, a timer from accept to close.
 * </ul>
 *
 * <h2>Bounded series</h2>
 * The upstreams are named up front, and every meter of each is made by the constructor (with
 * those of {@value #UNROUTED}, connections that ended before they were routed): counting a
 * connection is an array index and a few additions, with no lock and no allocation. A connection
 * of an upstream not named is counted under the tag {@value #OTHER_UPSTREAM}, whose meters are
 * made the first time one is seen; an upstream actually called {@value #OTHER_UPSTREAM} shares
 * them. The number of series is thus fixed by the list, whatever the clients send.
 *
 * <p>Thread-safe: its methods may be called from any event loop at once, as
 * {@link ConnectionListener} requires.
 */
public final class ConnectionMetrics implements ConnectionListener {

  /** The {@code upstream} tag of connections that ended before they were routed. */
  public static final String UNROUTED = "";

  /** The {@code upstream} tag of connections of an upstream the constructor was not given. */
  public static final String OTHER_UPSTREAM = "_other";

  /** The {@code outcome} tag of a connection that reached a host. */
  public static final String FORWARDED = "forwarded";

  /** The {@code outcome} tag of a connection neither refused nor forwarded: the client left first. */
  public static final String ABANDONED = "abandoned";

  /**
   * The {@code cause} tag of every outcome but a TLS refusal with a finer cause: empty, which
   * Prometheus reads as no label, so {@code sum by (outcome)} counts every TLS refusal.
   */
  public static final String NO_CAUSE = "";

  private final MeterRegistry registry;
  private final Map<String, UpstreamMeters> byUpstream;
  private final UpstreamMeters unrouted;
  private volatile UpstreamMeters other;

  /**
   * Registers the meters of each upstream, and of unrouted connections, in {@code registry}.
   *
   * @param registry where the meters go
   * @param upstreams the names of the upstreams whose connections are counted, as their
   *     {@code Upstream.name()}; others are counted under {@value #OTHER_UPSTREAM}
   * @throws NullPointerException if an argument or a name is null
   */
  public ConnectionMetrics(MeterRegistry registry, Collection<String> upstreams) {
    this.registry = Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(upstreams, "upstreams");
    Map<String, UpstreamMeters> meters = new HashMap<>();
    for (String name : upstreams) {
      Objects.requireNonNull(name, "upstream name");
      meters.put(name, new UpstreamMeters(registry, name));
    }
    this.byUpstream = Map.copyOf(meters);
    this.unrouted = new UpstreamMeters(registry, UNROUTED);
  }

  /** Counts the connection under its upstream, outcome and close reason. */
  @Override
  public void onClosed(ConnectionEvent e) {
    UpstreamMeters m = meters(e.connection().upstream());
    Refuse refusal = e.refusal();
    if (refusal != null) {
      m.refused(refusal).increment();
    } else if (e.host() != null) {
      m.forwarded.increment();
    } else {
      m.abandoned.increment();
    }
    m.closed[e.reason().ordinal()].increment();
    if (e.bytesFromClient() > 0) {
      m.fromClient.increment(e.bytesFromClient());
    }
    if (e.bytesToClient() > 0) {
      m.toClient.increment(e.bytesToClient());
    }
    // A failed handshake's time is not a handshake's: it would hide slow successful ones.
    if (!e.handshakeTime().isZero()
        && (refusal == null || refusal.reason() != RefusalReason.TLS_FAILED)) {
      m.handshake.record(e.handshakeTime());
    }
    m.duration.record(e.duration());
  }

  private UpstreamMeters meters(String upstream) {
    UpstreamMeters m = byUpstream.get(upstream);
    if (m != null) {
      return m;
    }
    if (upstream.isEmpty()) {
      return unrouted;
    }
    m = other;
    if (m == null) {
      synchronized (this) {
        m = other;
        if (m == null) {
          m = new UpstreamMeters(registry, OTHER_UPSTREAM);
          other = m;
        }
      }
    }
    return m;
  }

  /**
   * Returns the {@code outcome} tag of a refusal reason: its name in lower case, as
   * {@code no_host}.
   *
   * @param reason the reason
   * @return the tag value
   */
  public static String outcome(RefusalReason reason) {
    return reason.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the {@code cause} tag of a refusal's finer cause, as {@code revoked}.
   *
   * @param cause the cause, or null for none
   * @return the tag value; {@value #NO_CAUSE} for null
   */
  public static String cause(RefusalCause cause) {
    return cause == null ? NO_CAUSE : cause.name().toLowerCase(Locale.ROOT);
  }

  /** The meters of one upstream, indexed by enum ordinal. */
  private static final class UpstreamMeters {
    final Counter forwarded;
    final Counter abandoned;
    final Counter[] refused = new Counter[RefusalReason.values().length];
    // TLS refusals by their finer cause (revoked, ...); the only reason with causes today.
    final Counter[] tlsRefusedBy = new Counter[RefusalCause.values().length];
    final Counter[] closed = new Counter[CloseReason.values().length];
    final Counter fromClient;
    final Counter toClient;
    final Timer handshake;
    final Timer duration;

    UpstreamMeters(MeterRegistry registry, String upstream) {
      forwarded = connections(registry, upstream, FORWARDED, NO_CAUSE);
      abandoned = connections(registry, upstream, ABANDONED, NO_CAUSE);
      for (RefusalReason r : RefusalReason.values()) {
        refused[r.ordinal()] = connections(registry, upstream, outcome(r), NO_CAUSE);
      }
      for (RefusalCause c : RefusalCause.values()) {
        tlsRefusedBy[c.ordinal()] =
            connections(registry, upstream, outcome(RefusalReason.TLS_FAILED), cause(c));
      }
      for (CloseReason r : CloseReason.values()) {
        closed[r.ordinal()] = Counter.builder("lb4j.connections.closed")
            .description("Connections ended, by how they ended")
            .tags("upstream", upstream, "reason", r.name().toLowerCase(Locale.ROOT))
            .register(registry);
      }
      fromClient = bytes(registry, upstream, "from_client");
      toClient = bytes(registry, upstream, "to_client");
      handshake = Timer.builder("lb4j.tls.handshake")
          .description("Time from accept to the end of a successful TLS handshake")
          .tags("upstream", upstream)
          .register(registry);
      duration = Timer.builder("lb4j.connection.duration")
          .description("Time from accept to close of each connection")
          .tags("upstream", upstream)
          .register(registry);
    }

    /** The counter of a refusal: by its cause within TLS_FAILED, else by its reason alone. */
    Counter refused(Refuse refusal) {
      if (refusal.cause() != null && refusal.reason() == RefusalReason.TLS_FAILED) {
        return tlsRefusedBy[refusal.cause().ordinal()];
      }
      return refused[refusal.reason().ordinal()];
    }

    private static Counter connections(
        MeterRegistry registry, String upstream, String outcome, String cause) {
      return Counter.builder("lb4j.connections")
          .description("Connections ended, by outcome: forwarded, abandoned, or the refusal reason"
              + " (with its finer cause, such as revoked, when there is one)")
          .tags("upstream", upstream, "outcome", outcome, "cause", cause)
          .register(registry);
    }

    private static Counter bytes(MeterRegistry registry, String upstream, String direction) {
      return Counter.builder("lb4j.traffic")
          .description("Application bytes relayed, counted when a connection closes")
          .baseUnit("bytes")
          .tags("upstream", upstream, "direction", direction)
          .register(registry);
    }
  }
}
