package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static io.lb4j.impl.pool.Pools.hosts;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A host that leaves the upstream and comes back, as a discovered host does when it drops out of
 * DNS for a while: it keeps nothing stale from before (it starts up), while connections it still
 * held are counted and released into it.
 */
class ReturningHostTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<Host> hosts = hosts(2);
  private final Host a = hosts.get(0);
  private final Host b = hosts.get(1);
  private HostPool pool;

  @AfterEach
  void structureStaysConsistent() {
    pool.checkInvariants();
  }

  private HostStatus status(Host host) {
    return pool.snapshot().stream().filter(s -> s.host().equals(host)).findFirst().orElseThrow();
  }

  @Test
  void aPassivelyMarkedHostThatLeavesWhileDrainingAndReturnsIsUpWithItsLeaseCounted() {
    Upstream.Builder upstream = Upstream.builder("api").passiveDownTime(Duration.ofHours(1));
    pool = new HostPool(upstream.hosts(List.of(a)).build(), now::get);
    Lease held = pool.acquire(CONNECTION);
    pool.acquire(CONNECTION).connectFailed();
    assertThat(status(a).up()).isFalse();

    pool.update(upstream.hosts(List.of(b)).build());
    assertThat(status(a).draining()).isTrue();
    pool.update(upstream.hosts(List.of(a, b)).build());

    assertThat(status(a)).isEqualTo(new HostStatus(a, 1, true, false));
    held.release();
    assertThat(status(a).activeConnections()).isZero();
  }

  @Test
  void aHostTheHealthCheckTookDownThatLeavesWhileDrainingAndReturnsIsUp() {
    Upstream.Builder upstream = Upstream.builder("api")
        .healthCheck(HealthCheck.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 1));
    pool = new HostPool(upstream.hosts(List.of(a, b)).build(), now::get);
    Lease held = pool.acquire(CONNECTION);
    Host leased = held.host();
    pool.reportHealthCheck(leased, false);
    assertThat(status(leased).up()).isFalse();

    pool.update(upstream.hosts(hosts.stream().filter(h -> !h.equals(leased)).toList()).build());
    pool.update(upstream.hosts(hosts).build());

    assertThat(status(leased)).isEqualTo(new HostStatus(leased, 1, true, false));
    held.release();
  }

  @Test
  void aHostThatStaysKeepsItsHealth() {
    Upstream.Builder upstream = Upstream.builder("api").passiveDownTime(Duration.ofHours(1));
    pool = new HostPool(upstream.hosts(List.of(a, b)).build(), now::get);
    Lease first = pool.acquire(CONNECTION);
    first.connectFailed();
    Host marked = first.host();

    pool.update(upstream.hosts(List.of(b, a)).build());

    assertThat(status(marked).up()).isFalse();
  }
}
