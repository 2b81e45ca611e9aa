package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static io.lb4j.impl.pool.Pools.acquire;
import static io.lb4j.impl.pool.Pools.activeConnections;
import static io.lb4j.impl.pool.Pools.hosts;
import static io.lb4j.impl.pool.Pools.totalActiveConnections;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostPoolTest {

  private static final Duration DOWN_TIME = Duration.ofSeconds(10);
  private static final HealthCheck CHECK =
      HealthCheck.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 3);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
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

  private Upstream.Builder upstream(List<Host> hosts) {
    return Upstream.builder("api").hosts(hosts).passiveDownTime(DOWN_TIME);
  }

  private HostPool pool(Upstream upstream) {
    pool = new HostPool(upstream, now::get);
    return pool;
  }

  private List<Host> hostsOf(List<Lease> leases) {
    List<Host> out = new ArrayList<>();
    leases.forEach(l -> out.add(l.host()));
    return out;
  }

  // ---- least connections

  @Test
  void spreadsThirtyLeasesEvenlyOverThreeHosts() {
    pool(upstream(hosts).build());

    acquire(pool, 30);

    assertThat(activeConnections(pool, a)).isEqualTo(10);
    assertThat(activeConnections(pool, b)).isEqualTo(10);
    assertThat(activeConnections(pool, c)).isEqualTo(10);
    assertThat(totalActiveConnections(pool)).isEqualTo(30);
  }

  @Test
  void sendsTheNextLeasesToTheHostWhoseConnectionsEnded() {
    pool(upstream(hosts).build());
    List<Lease> leases = acquire(pool, 30);

    leases.stream().filter(l -> l.host().equals(b)).limit(5).forEach(Lease::release);

    assertThat(hostsOf(acquire(pool, 5))).containsOnly(b);
    assertThat(activeConnections(pool, b)).isEqualTo(10);
  }

  @Test
  void countsAConnectionFromTheMomentItsHostIsPicked() {
    pool(upstream(hosts).build());

    Lease lease = pool.acquire(CONNECTION);

    assertThat(activeConnections(pool, lease.host())).isEqualTo(1);
  }

  @Test
  void singleHostTakesEveryLease() {
    pool(upstream(List.of(a)).build());

    assertThat(hostsOf(acquire(pool, 4))).containsOnly(a);
    assertThat(activeConnections(pool, a)).isEqualTo(4);
  }

  @Test
  void returnsNoLeaseWhenTheUpstreamHasNoHost() {
    pool(upstream(List.of()).build());

    assertThat(pool.acquire(CONNECTION)).isNull();
    assertThat(pool.snapshot()).isEmpty();
    assertThat(totalActiveConnections(pool)).isZero();
  }

  @Test
  void returnsNoLeaseWhenEveryHostIsDown() {
    pool(upstream(hosts).build());

    acquire(pool, 3).forEach(Lease::connectFailed);

    assertThat(pool.acquire(CONNECTION)).isNull();
  }

  // ---- releasing

  @Test
  void releaseCountsDownExactlyOnce() {
    pool(upstream(List.of(a)).build());
    Lease first = pool.acquire(CONNECTION);
    pool.acquire(CONNECTION);

    first.release();
    first.release();
    first.connectFailed();

    assertThat(first.isReleased()).isTrue();
    assertThat(activeConnections(pool, a)).isEqualTo(1);
  }

  @Test
  void connectFailedReleasesTheLease() {
    pool(upstream(hosts).build());
    Lease lease = pool.acquire(CONNECTION);

    lease.connectFailed();
    lease.release();

    assertThat(lease.isReleased()).isTrue();
    assertThat(totalActiveConnections(pool)).isZero();
  }

  @Test
  void knowsNoConnectionsOfAnUnknownHost() {
    pool(upstream(hosts).build());
    acquire(pool, 6);

    assertThat(activeConnections(pool, Host.of("10.9.9.9", 1))).isZero();
  }

  // ---- updates

  @Test
  void updateKeepsTheCountsOfHostsThatStay() {
    pool(upstream(List.of(a, b)).build());
    acquire(pool, 4);

    pool.update(upstream(List.of(b, a, c)).build());

    assertThat(activeConnections(pool, a)).isEqualTo(2);
    assertThat(activeConnections(pool, b)).isEqualTo(2);
    assertThat(hostsOf(acquire(pool, 2))).containsOnly(c);
  }

  @Test
  void removedHostTakesNoNewLeasesAndIsForgottenOnceDrained() {
    pool(upstream(hosts).build());
    List<Lease> onA = acquire(pool, 3).stream().filter(l -> l.host().equals(a)).toList();

    pool.update(upstream(List.of(b, c)).build());

    assertThat(hostsOf(acquire(pool, 10))).doesNotContain(a);
    assertThat(pool.snapshot()).contains(new HostStatus(a, 1, true, true));
    onA.forEach(Lease::release);
    assertThat(activeConnections(pool, a)).isZero();
    assertThat(pool.snapshot()).extracting(HostStatus::host).containsExactly(b, c);
  }

  @Test
  void removedHostWithoutConnectionsIsForgottenAtOnce() {
    pool(upstream(hosts).build());

    pool.update(upstream(List.of(b, c)).build());

    assertThat(pool.snapshot()).extracting(HostStatus::host).containsExactly(b, c);
  }

  @Test
  void hostAddedBackWhileDrainingKeepsItsCount() {
    pool(upstream(List.of(a)).build());
    Lease lease = pool.acquire(CONNECTION);
    pool.update(upstream(List.of(b)).build());

    pool.update(upstream(List.of(a, b)).build());

    assertThat(activeConnections(pool, a)).isEqualTo(1);
    assertThat(pool.snapshot()).contains(new HostStatus(a, 1, true, false));
    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(b);
    lease.release();
    assertThat(activeConnections(pool, a)).isZero();
  }

  @Test
  void hostsAddedByAnUpdateStartUp() {
    pool(upstream(List.of(a)).healthCheck(CHECK).build());

    pool.update(upstream(List.of(a, b)).healthCheck(CHECK).build());

    assertThat(pool.snapshot()).contains(new HostStatus(b, 0, true, false));
    assertThat(pool.acquire(CONNECTION).host()).isIn(a, b);
  }

  @Test
  void updateReplacesTheStrategy() {
    pool(upstream(hosts).build());
    pool.update(upstream(hosts).strategy((candidates, connection) -> 2).build());

    assertThat(hostsOf(acquire(pool, 3))).containsOnly(c);
  }

  @Test
  void updateRefusesAnotherUpstream() {
    pool(upstream(hosts).build());

    assertThatThrownBy(() -> pool.update(Upstream.builder("web").hosts(hosts).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("upstream name must stay 'api' but was 'web'");
  }

  @Test
  void snapshotListsConfiguredHostsInOrderThenDrainingOnes() {
    pool(upstream(List.of(a, b)).build());
    acquire(pool, 2);

    pool.update(upstream(List.of(c, b)).build());

    assertThat(pool.snapshot())
        .containsExactly(
            new HostStatus(c, 0, true, false),
            new HostStatus(b, 1, true, false),
            new HostStatus(a, 1, true, true));
  }

  // ---- passive marks

  @Test
  void failedConnectTakesTheHostOutUntilThePassiveDownTimeHasPassed() {
    pool(upstream(List.of(a, b)).build());
    Lease lease = pool.acquire(CONNECTION);
    Host failed = lease.host();

    lease.connectFailed();
    assertThat(hostsOf(acquire(pool, 4))).doesNotContain(failed);
    now.addAndGet(DOWN_TIME.toNanos() - 1);
    assertThat(pool.acquire(CONNECTION).host()).isNotEqualTo(failed);
    now.addAndGet(1);

    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(failed);
  }

  @Test
  void snapshotShowsAPassivelyMarkedHostDownUntilItsTimeHasPassed() {
    pool(upstream(List.of(a)).build());
    pool.acquire(CONNECTION).connectFailed();

    assertThat(pool.snapshot()).containsExactly(new HostStatus(a, 0, false, false));
    now.addAndGet(DOWN_TIME.toNanos());
    assertThat(pool.snapshot()).containsExactly(new HostStatus(a, 0, true, false));
  }

  @Test
  void anotherFailedConnectExtendsThePassiveDownTime() {
    pool(upstream(List.of(a)).build());
    Lease first = pool.acquire(CONNECTION);
    Lease second = pool.acquire(CONNECTION);
    first.connectFailed();
    now.addAndGet(DOWN_TIME.toNanos() / 2);

    second.connectFailed();
    now.addAndGet(DOWN_TIME.toNanos() / 2);

    assertThat(pool.acquire(CONNECTION)).isNull();
    now.addAndGet(DOWN_TIME.toNanos() / 2);
    assertThat(pool.acquire(CONNECTION)).isNotNull();
  }

  @Test
  void failedConnectUnderAHealthCheckWaitsForRiseSuccessesNotTheClock() {
    pool(upstream(List.of(a)).healthCheck(CHECK).build());

    pool.acquire(CONNECTION).connectFailed();
    now.addAndGet(DOWN_TIME.toNanos() * 10);
    assertThat(pool.acquire(CONNECTION)).isNull();
    pool.reportHealthCheck(a, true);
    assertThat(pool.acquire(CONNECTION)).isNull();
    pool.reportHealthCheck(a, true);

    assertThat(pool.acquire(CONNECTION)).isNotNull();
  }

  @Test
  void leaseOfARemovedHostStillMarksItOnFailure() {
    pool(upstream(List.of(a)).build());
    Lease lease = pool.acquire(CONNECTION);
    pool.update(upstream(List.of(a, b)).build());

    lease.connectFailed();

    assertThat(pool.snapshot()).contains(new HostStatus(a, 0, false, false));
    assertThat(hostsOf(acquire(pool, 3))).containsOnly(b);
  }

  // ---- active health check results

  @Test
  void healthCheckTakesAHostOutAfterFallFailuresInARow() {
    pool(upstream(List.of(a, b)).healthCheck(CHECK).build());

    assertThat(pool.reportHealthCheck(a, false)).isFalse();
    assertThat(pool.reportHealthCheck(a, false)).isFalse();
    assertThat(pool.snapshot()).contains(new HostStatus(a, 0, true, false));
    assertThat(pool.reportHealthCheck(a, false)).isTrue();

    assertThat(pool.snapshot()).contains(new HostStatus(a, 0, false, false));
    assertThat(hostsOf(acquire(pool, 4))).containsOnly(b);
  }

  @Test
  void aPassedCheckResetsTheFailuresInARow() {
    pool(upstream(List.of(a)).healthCheck(CHECK).build());

    pool.reportHealthCheck(a, false);
    pool.reportHealthCheck(a, false);
    pool.reportHealthCheck(a, true);
    pool.reportHealthCheck(a, false);
    pool.reportHealthCheck(a, false);

    assertThat(pool.snapshot()).containsExactly(new HostStatus(a, 0, true, false));
  }

  @Test
  void healthCheckBringsAHostBackAfterRiseSuccessesInARow() {
    pool(upstream(List.of(a)).healthCheck(CHECK).build());
    for (int i = 0; i < CHECK.fall(); i++) {
      pool.reportHealthCheck(a, false);
    }

    assertThat(pool.reportHealthCheck(a, true)).isFalse();
    pool.reportHealthCheck(a, false);
    assertThat(pool.reportHealthCheck(a, true)).isFalse();
    assertThat(pool.acquire(CONNECTION)).isNull();
    assertThat(pool.reportHealthCheck(a, true)).isTrue();

    assertThat(pool.acquire(CONNECTION)).isNotNull();
  }

  @Test
  void ignoresHealthCheckResultsWhenTheUpstreamHasNoHealthCheck() {
    pool(upstream(List.of(a)).build());

    for (int i = 0; i < 5; i++) {
      assertThat(pool.reportHealthCheck(a, false)).isFalse();
    }

    assertThat(pool.acquire(CONNECTION)).isNotNull();
  }

  @Test
  void ignoresHealthCheckResultsOfUnknownHosts() {
    pool(upstream(List.of(a)).healthCheck(HealthCheck.of(CHECK.interval(), CHECK.timeout(), 1, 1))
        .build());

    assertThat(pool.reportHealthCheck(b, false)).isFalse();

    assertThat(pool.snapshot()).containsExactly(new HostStatus(a, 0, true, false));
  }

  @Test
  void turningTheHealthCheckOffBringsBackTheHostsItTookOut() {
    pool(upstream(List.of(a)).healthCheck(CHECK).build());
    for (int i = 0; i < CHECK.fall(); i++) {
      pool.reportHealthCheck(a, false);
    }

    pool.update(upstream(List.of(a)).build());

    assertThat(pool.acquire(CONNECTION)).isNotNull();
  }

  // ---- strategies that misbehave, and what strategies see

  @Test
  void fallsBackToTheLeastLoadedHostWhenTheStrategyReturnsMinusOne() {
    assertFallsBackToLeastLoaded((candidates, connection) -> -1);
  }

  @Test
  void fallsBackToTheLeastLoadedHostWhenTheStrategyReturnsSize() {
    assertFallsBackToLeastLoaded((candidates, connection) -> candidates.size());
  }

  @Test
  void fallsBackToTheLeastLoadedHostWhenTheStrategyThrows() {
    assertFallsBackToLeastLoaded(
        (candidates, connection) -> {
          throw new IllegalStateException("strategy bug");
        });
  }

  private void assertFallsBackToLeastLoaded(BalancingStrategy broken) {
    pool(upstream(hosts).build());
    acquire(pool, 30);
    pool.update(upstream(hosts).strategy(broken).build());
    pool.acquire(CONNECTION).release();
    pool.acquire(CONNECTION).release();

    List<Lease> more = acquire(pool, 6);

    assertThat(hostsOf(more)).containsOnly(a, b, c);
    assertThat(pool.snapshot()).extracting(HostStatus::activeConnections).containsOnly(12);
  }

  @Test
  void strategySeesOnlyEligibleHostsInConfigurationOrderWithTheirCounts() {
    List<List<Host>> seen = new ArrayList<>();
    List<List<Integer>> counts = new ArrayList<>();
    pool(upstream(List.of(c, a, b)).healthCheck(HealthCheck.of(CHECK.interval(), CHECK.timeout(),
        1, 1)).strategy((candidates, connection) -> {
          List<Host> hosts = new ArrayList<>();
          List<Integer> conns = new ArrayList<>();
          for (int i = 0; i < candidates.size(); i++) {
            hosts.add(candidates.host(i));
            conns.add(candidates.activeConnections(i));
          }
          seen.add(hosts);
          counts.add(conns);
          return candidates.size() - 1;
        }).build());
    pool.reportHealthCheck(a, false);

    pool.acquire(CONNECTION);
    pool.acquire(CONNECTION);

    assertThat(seen).containsExactly(List.of(c, b), List.of(c, b));
    assertThat(counts).containsExactly(List.of(0, 0), List.of(0, 1));
  }

  @Test
  void candidatesViewRefusesIndexesOutOfRange() {
    List<Throwable> errors = new ArrayList<>();
    pool(upstream(hosts).strategy((candidates, connection) -> {
      try {
        candidates.host(candidates.size());
      } catch (IndexOutOfBoundsException e) {
        errors.add(e);
      }
      try {
        candidates.activeConnections(-1);
      } catch (IndexOutOfBoundsException e) {
        errors.add(e);
      }
      return 0;
    }).build());

    pool.acquire(CONNECTION);

    assertThat(errors).hasSize(2);
  }

  @Test
  void leastLoadedOfTheViewIsAHostWithTheFewestConnections() {
    List<Integer> picked = new ArrayList<>();
    pool(upstream(hosts).build());
    List<Lease> leases = acquire(pool, 9);
    leases.stream().filter(l -> l.host().equals(c)).limit(2).forEach(Lease::release);
    pool.update(upstream(hosts).strategy((candidates, connection) -> {
      int least = candidates.leastLoaded();
      picked.add(candidates.activeConnections(least));
      return least;
    }).build());

    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(c);
    assertThat(picked).containsExactly(1);
  }
}
