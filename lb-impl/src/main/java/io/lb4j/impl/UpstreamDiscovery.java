package io.lb4j.impl;

import io.lb4j.api.DiscoveredHost;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource;
import io.lb4j.api.HostSource.Failure;
import io.lb4j.api.Upstream;
import io.lb4j.impl.discovery.DiscoveryStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of one upstream's {@link HostSource}: turns each published set into an
 * {@link Upstream} with those hosts and weights and applies it as {@code update(Upstream)} does;
 * keeps the last set through failures, warns once per outage, counts failures by kind, and
 * explains an upstream that has no host yet. Thread-safe: the source may call from any thread.
 */
final class UpstreamDiscovery implements HostSource.Sink {

  private static final Logger log = LoggerFactory.getLogger(UpstreamDiscovery.class);

  private final HostSource source;
  private final Consumer<Upstream> apply;
  private final Consumer<String> explainNoHost;
  private final LongSupplier nanoClock;
  private final AtomicLongArray failures = new AtomicLongArray(Failure.values().length);

  // Guarded by this.
  private Upstream template;
  private List<DiscoveredHost> last;
  private long lastSetAtNanos;
  private String outage;
  private HostSource.Watch watch;
  private boolean closed;

  /** The origin of each discovered host, replaced whole; read lock-free by the access log. */
  private volatile Map<Host, String> origins = Map.of();

  /**
   * @param template the upstream's settings; its hosts are ignored
   * @param apply replaces the running upstream, as {@code update} does
   * @param explainNoHost sets the refusal detail while the upstream has no host (null clears it)
   */
  UpstreamDiscovery(
      Upstream template, Consumer<Upstream> apply, Consumer<String> explainNoHost, LongSupplier nanoClock) {
    this.source = template.hostSource().orElseThrow();
    this.template = template;
    this.apply = apply;
    this.explainNoHost = explainNoHost;
    this.nanoClock = nanoClock;
  }

  HostSource source() {
    return source;
  }

  /** Starts watching; until a first set arrives, refusals say that the hosts are being looked up. */
  void start(boolean emptyNow) {
    String name;
    synchronized (this) {
      if (closed || watch != null) {
        return;
      }
      name = template.name();
    }
    if (emptyNow) {
      explainNoHost.accept("no host of upstream " + name + " is known yet: the first lookup of "
          + source + " has not answered");
    }
    HostSource.Watch started;
    try {
      started = source.watch(name, this);
    } catch (RuntimeException e) {
      log.warn("the host source {} of upstream {} did not start", source, name, e);
      failed(Failure.ERROR, source + " did not start: " + e.getMessage());
      return;
    }
    boolean closeNow;
    synchronized (this) {
      closeNow = closed;
      watch = started;
    }
    if (closeNow) {
      started.close();
    }
  }

  /** Takes new settings for the upstream (same source): re-applies the last set with them. */
  void settings(Upstream next) {
    synchronized (this) {
      template = next;
      if (!closed) {
        apply.accept(upstreamOf(last == null ? List.of() : last));
      }
    }
  }

  @Override
  public void publish(List<DiscoveredHost> hosts) {
    List<DiscoveredHost> set = List.copyOf(Objects.requireNonNull(hosts, "hosts"));
    synchronized (this) {
      if (closed) {
        return;
      }
      boolean changed = !set.equals(last);
      if (changed) {
        apply.accept(upstreamOf(set));
        Map<Host, String> o = new HashMap<>();
        for (DiscoveredHost h : set) {
          if (h.origin() != null) {
            o.putIfAbsent(h.host(), h.origin());
          }
        }
        origins = Map.copyOf(o);
      }
      if (last == null) {
        explainNoHost.accept(null);
      }
      if (outage != null) {
        log.info("upstream {}: {} answers again, with {} host(s); the outage began with: {}",
            template.name(), source, set.size(), outage);
        outage = null;
      } else if (changed) {
        log.info("upstream {}: {} gives {} host(s)", template.name(), source, set.size());
      }
      last = set;
      lastSetAtNanos = nanoClock.getAsLong();
    }
  }

  @Override
  public void failed(Failure failure, String detail) {
    Objects.requireNonNull(failure, "failure");
    Objects.requireNonNull(detail, "detail");
    failures.incrementAndGet(failure.ordinal());
    synchronized (this) {
      if (closed) {
        return;
      }
      if (outage == null) {
        outage = detail;
        if (last == null) {
          log.warn("upstream {} has no host: its first lookup failed ({}): {}; it refuses connections"
              + " until a lookup succeeds (logged once per outage)", template.name(), failure.tag(), detail);
        } else {
          log.warn("upstream {} keeps its {} host(s) from {} ago: lookup failed ({}): {} (logged once"
              + " per outage)", template.name(), last.size(), age(), failure.tag(), detail);
        }
      }
      if (last == null) {
        explainNoHost.accept("no host of upstream " + template.name()
            + " is known: its lookup failed: " + detail);
      }
    }
  }

  /** Stops the watch; later calls from the source are ignored. */
  void close() {
    HostSource.Watch w;
    synchronized (this) {
      closed = true;
      w = watch;
      watch = null;
    }
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException e) {
        log.warn("the host source {} of upstream {} failed to stop", source, template.name(), e);
      }
    }
  }

  /** Returns the current hosts (for a source that replaces this one), or null before a first set. */
  synchronized List<DiscoveredHost> lastSet() {
    return last;
  }

  Optional<String> origin(Host host) {
    return Optional.ofNullable(origins.get(host));
  }

  synchronized DiscoveryStatus status() {
    Map<Failure, Long> counts = new EnumMap<>(Failure.class);
    for (Failure f : Failure.values()) {
      counts.put(f, failures.get(f.ordinal()));
    }
    return new DiscoveryStatus(
        source.toString(),
        last == null ? 0 : last.size(),
        last == null ? Optional.empty() : Optional.of(age()),
        counts,
        Optional.ofNullable(outage));
  }

  private Duration age() {
    return Duration.ofNanos(Math.max(0, nanoClock.getAsLong() - lastSetAtNanos));
  }

  /** The running upstream for a set: the template's settings with these hosts and weights. */
  private Upstream upstreamOf(List<DiscoveredHost> set) {
    Map<Host, DiscoveredHost> unique = new LinkedHashMap<>();
    for (DiscoveredHost h : set) {
      unique.putIfAbsent(h.host(), h);
    }
    Upstream.Builder b = template.toBuilder().discover(null).hosts(new ArrayList<>(unique.keySet()));
    for (DiscoveredHost h : unique.values()) {
      b.weight(h.host(), h.weight());
    }
    return b.build();
  }
}
