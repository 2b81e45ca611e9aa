package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static io.lb4j.impl.pool.Pools.acquire;
import static io.lb4j.impl.pool.Pools.activeConnections;
import static io.lb4j.impl.pool.Pools.hosts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Weighted least connections and slow start, on a pool driven by a manual clock. */
class WeightedPoolTest {

  private static final Duration SLOW_START = Duration.ofSeconds(30);
  private static final Duration DOWN_TIME = Duration.ofSeconds(10);

  private final ManualClock clock = new ManualClock(Instant.parse("2027-01-01T00:00:00Z"));
  private final List<Host> hosts = hosts(3);
  private final Host a = hosts.get(0);
  private final Host b = hosts.get(1);
  private final Host c = hosts.get(2);
  private HostPool pool;

  @AfterEach
  void structureStaysConsistent() {
    if (pool != null) {
      pool.checkInvariants();
    }
  }

  private HostPool pool(Upstream upstream) {
    pool = new HostPool(upstream, clock::nanoTime);
    return pool;
  }

  private static Upstream.Builder upstream(List<Host> hosts) {
    return Upstream.builder("api").hosts(hosts).passiveDownTime(DOWN_TIME);
  }

  private HostStatus status(Host host) {
    return pool.snapshot().stream().filter(s -> s.host().equals(host)).findFirst().orElseThrow();
  }

  /** Acquires {@code n} leases and returns how many went to {@code host}; releases them after. */
  private int takenBy(Host host, int n) {
    List<Lease> leases = acquire(pool, n);
    int taken = (int) leases.stream().filter(l -> l.host().equals(host)).count();
    leases.forEach(Lease::release);
    return taken;
  }

  // ---- weights

  @Test
  void spreadsConnectionsInProportionToWeights() {
    pool(upstream(hosts).weight(a, 1).weight(b, 3).weight(c, 6).build());

    acquire(pool, 100);

    assertThat(activeConnections(pool, a)).isEqualTo(10);
    assertThat(activeConnections(pool, b)).isEqualTo(30);
    assertThat(activeConnections(pool, c)).isEqualTo(60);
  }

  @Test
  void sendsTheFirstConnectionOfAnIdleUpstreamToTheHeaviestHost() {
    pool(upstream(hosts).weight(b, 4).build());

    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(b);
  }

  @Test
  void weightChangeKeepsCountsAndHealthAndSteersNewConnections() {
    pool(upstream(hosts).build());
    acquire(pool, 6);
    pool.acquire(CONNECTION).connectFailed(); // one host out for the passive down time
    Host down = pool.snapshot().stream().filter(s -> !s.up()).findFirst().orElseThrow().host();
    Host up = down.equals(a) ? b : a;
    Host other = hosts.stream().filter(h -> !h.equals(down) && !h.equals(up)).findFirst().get();

    pool.update(upstream(hosts).weight(up, 3).build());

    assertThat(status(down).up()).isFalse();
    assertThat(status(up).weight()).isEqualTo(3);
    assertThat(hosts).allSatisfy(h -> assertThat(activeConnections(pool, h)).isEqualTo(2));
    // 12 connections on weights 3 and 1 balance where (up + 1) / 3 meets (other + 1) / 1.
    acquire(pool, 8);
    assertThat(activeConnections(pool, up)).isEqualTo(9);
    assertThat(activeConnections(pool, other)).isEqualTo(3);
  }

  @Test
  void candidatesViewShowsWeights() {
    double[] seen = new double[3];
    pool(upstream(hosts).weight(a, 2).weight(c, 256)
        .strategy((candidates, connection) -> {
          for (int i = 0; i < candidates.size(); i++) {
            seen[i] = candidates.weight(i);
          }
          return candidates.leastLoaded();
        })
        .build());

    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(c);
    assertThat(seen).containsExactly(2.0, 1.0, 256.0);
  }

  // ---- slow start

  @Test
  void hostsGivenAtStartTakeTheirFullWeightAtOnce() {
    pool(upstream(hosts).slowStart(SLOW_START).build());

    assertThat(pool.snapshot()).allSatisfy(s -> assertThat(s.slowStarting()).isFalse());
    assertThat(takenBy(a, 30)).isEqualTo(10);
  }

  @Test
  void addedHostRampsFromASmallShareToItsFullWeightOverThePeriod() {
    pool(upstream(List.of(a)).slowStart(SLOW_START).build());
    pool.update(upstream(List.of(a, b)).slowStart(SLOW_START).build());

    // With a at weight 1 and b at share f of 1, b takes f / (1 + f) of a batch.
    assertThat(status(b).slowStartShare()).isLessThan(0.01);
    assertThat(takenBy(b, 200)).isLessThanOrEqualTo(2);

    clock.advance(SLOW_START.dividedBy(4));
    assertThat(status(b).slowStartShare()).isCloseTo(0.25, within(0.01));
    assertThat(takenBy(b, 200)).isBetween(38, 42); // 200 * 0.25 / 1.25 = 40

    clock.advance(SLOW_START.dividedBy(4));
    assertThat(status(b).slowStartShare()).isCloseTo(0.5, within(0.01));
    assertThat(takenBy(b, 200)).isBetween(64, 69); // 200 * 0.5 / 1.5 = 66.7

    clock.advance(SLOW_START.dividedBy(2));
    assertThat(status(b).slowStarting()).isFalse();
    assertThat(takenBy(b, 200)).isEqualTo(100);
  }

  @Test
  void coldHostIsNotFloodedUnderLeastConnections() {
    pool(upstream(List.of(a)).slowStart(SLOW_START).build());
    acquire(pool, 100);
    pool.update(upstream(List.of(a, b)).slowStart(SLOW_START).build());

    // Without slow start all 50 would go to b, the host with no connection.
    clock.advance(SLOW_START.dividedBy(10));
    acquire(pool, 50);

    // At a tenth of its weight, b balances where (b + 1) is a tenth of (a + 1): b + 1 = 152 / 11.
    assertThat(activeConnections(pool, b)).isBetween(12, 13);
  }

  @Test
  void addedHostTakesItsFullWeightAtOnceWithoutSlowStart() {
    pool(upstream(List.of(a)).build());
    acquire(pool, 100);
    pool.update(upstream(List.of(a, b)).build());

    acquire(pool, 50);

    assertThat(activeConnections(pool, b)).isEqualTo(50);
  }

  @Test
  void hostBackFromDownRampsAgain() {
    pool(upstream(List.of(a, b)).slowStart(SLOW_START).build());
    Lease lease;
    do {
      lease = pool.acquire(CONNECTION);
      lease.release();
    } while (!lease.host().equals(b));
    lease.connectFailed();
    assertThat(status(b).up()).isFalse();

    clock.advance(DOWN_TIME);

    assertThat(status(b).up()).isTrue();
    assertThat(status(b).slowStartShare()).isLessThan(0.01);
    assertThat(takenBy(b, 100)).isLessThanOrEqualTo(1);
    clock.advance(SLOW_START);
    assertThat(takenBy(b, 100)).isEqualTo(50);
  }

  @Test
  void slowStartKeepsTheHostsWeightInProportion() {
    pool(upstream(List.of(a)).slowStart(SLOW_START).build());
    pool.update(upstream(List.of(a, b)).weight(b, 4).slowStart(SLOW_START).build());

    clock.advance(SLOW_START.dividedBy(2));

    // b at half of 4 weighs 2 against a's 1: two thirds of a batch.
    assertThat(status(b).weight()).isEqualTo(4);
    assertThat(takenBy(b, 300)).isBetween(198, 202);
  }

  @Test
  void turningSlowStartOffEndsRampsAtOnce() {
    pool(upstream(List.of(a)).slowStart(SLOW_START).build());
    pool.update(upstream(List.of(a, b)).slowStart(SLOW_START).build());
    assertThat(status(b).slowStarting()).isTrue();

    pool.update(upstream(List.of(a, b)).build());

    assertThat(status(b).slowStarting()).isFalse();
    assertThat(takenBy(b, 100)).isEqualTo(50);
  }
}
