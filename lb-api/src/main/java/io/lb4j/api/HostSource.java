package io.lb4j.api;

import java.util.List;

/**
 * Where the hosts of an upstream come from, and how they change: a fixed list, DNS records, or a
 * registry such as ZooKeeper or Eureka. lb4j {@linkplain #watch watches} the source of each
 * upstream that has one, and applies every host set the source publishes exactly as
 * {@code LoadBalancer.update(Upstream)} applies a new host list: hosts that stay keep their
 * connections, counts and health; removed hosts take no new connection and drain; new hosts take
 * connections at once (and are health-checked when the upstream has a check).
 *
 * <pre>{@code
 * Upstream api = Upstream.builder("api")
 *     .discover(DnsDiscovery.srv("_api._tcp.example.internal").build())
 *     .build();
 * }</pre>
 *
 * <h2>Contract</h2>
 * A source publishes complete sets, never differences: each {@link Sink#publish} replaces the
 * previous set. When it cannot tell the current set (its registry does not answer, a lookup
 * failed), it calls {@link Sink#failed} instead and lb4j keeps the last set it had, so an upstream
 * never empties because its source hiccupped; until a first set arrives, the upstream has no host
 * and refuses connections with {@link RefusalReason#NO_HOST}, saying why in the refusal's detail.
 * Publishing an empty list does empty the upstream: a source that takes an empty answer for a
 * fault reports it as {@link Failure#EMPTY} instead.
 *
 * <h2>Threading</h2>
 * lb4j calls {@link #watch} once per upstream it starts (and again when an upstream is updated
 * with another source), from the thread that starts or updates the load balancer; it must return
 * at once and do its lookups on its own threads, never blocking the caller for I/O. The
 * {@link Sink} may be called from any thread and is thread-safe; calls should not overlap for one
 * watch (a source with one thread per watch gets that for free), and each costs lb4j a rebuild of
 * the upstream's host order, O(n log n) for n hosts, so a source publishes when something changed
 * or on its refresh, not in a busy loop. Calls after {@link Watch#close()} are ignored. A source
 * instance may serve several upstreams, each through its own watch.
 *
 * <h2>Implementing</h2>
 * Keep the state of one watch in the watch; start a thread or a scheduled task in {@code watch},
 * publish from it, and stop it in {@link Watch#close()}, which lb4j calls when the load balancer
 * closes or the upstream stops using this source. {@link #fixed} is the smallest implementation.
 */
@FunctionalInterface
public interface HostSource {

  /**
   * Starts watching the hosts of one upstream.
   *
   * @param upstream the name of the upstream the hosts are for, for the source's logs
   * @param sink where to publish host sets and failures; thread-safe
   * @return the running watch, which lb4j closes when it no longer needs it
   */
  Watch watch(String upstream, Sink sink);

  /**
   * Returns a source that publishes {@code hosts} once, at weight {@link Defaults#HOST_WEIGHT}:
   * what {@link Upstream.Builder#hosts} gives without a source.
   *
   * @param hosts the hosts, in the order round-robin visits them
   * @return the source
   * @throws NullPointerException if {@code hosts} or one of them is null
   */
  static HostSource fixed(List<Host> hosts) {
    List<DiscoveredHost> set = hosts.stream().map(DiscoveredHost::of).toList();
    return new HostSource() {
      @Override
      public Watch watch(String upstream, Sink sink) {
        sink.publish(set);
        return () -> {};
      }

      @Override
      public String toString() {
        return "fixed " + hosts;
      }
    };
  }

  /** A running watch of one upstream's hosts. */
  @FunctionalInterface
  interface Watch extends AutoCloseable {

    /** Stops watching; idempotent, does not block for long, throws nothing. */
    @Override
    void close();
  }

  /** Where a source publishes the hosts of one upstream. Thread-safe; never blocks for long. */
  interface Sink {

    /**
     * Replaces the upstream's hosts with {@code hosts}, as {@code LoadBalancer.update} does.
     *
     * @param hosts the complete current set, in the order round-robin visits them; a host that
     *     appears twice is taken once, with the first weight and origin
     * @throws NullPointerException if {@code hosts} or one of them is null
     */
    void publish(List<DiscoveredHost> hosts);

    /**
     * Says that the current set could not be told; lb4j keeps the last one, logs a warning once
     * per outage (until the next {@link #publish}), and counts the failure by its kind.
     *
     * @param failure what kind of failure, for metrics
     * @param detail one line saying what failed, as {@code "SRV _api._tcp.example: SERVFAIL from
     *     10.0.0.2:53"}; shown in logs and, before a first set, in refusals
     * @throws NullPointerException if an argument is null
     */
    void failed(Failure failure, String detail);
  }

  /**
   * The kinds of failure a source reports, named after DNS's but meant for any registry. Each
   * kind has its own counter in the reference server's metrics.
   */
  enum Failure {
    /** No answer in time. */
    TIMEOUT,
    /** The registry answered that it could not answer (DNS SERVFAIL or REFUSED). */
    SERVER_FAILURE,
    /** The name is not known (DNS NXDOMAIN). */
    NOT_FOUND,
    /** The name is known but has no host now (a DNS answer with no record). */
    EMPTY,
    /** Anything else: a malformed answer, a lost connection to the registry. */
    ERROR;

    /**
     * Returns the failure's name for metrics and logs: lower case, as {@code server_failure}.
     *
     * @return the tag value
     */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
