package io.lb4j.impl.balancing;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.pool.Lease;
import io.lb4j.impl.pool.Pools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class StrategiesTest {

  private final List<Host> hosts = Pools.hosts(3);

  /** Candidates with fixed counts, recording which indexes a strategy looked at. */
  private static final class FixedCandidates implements BalancingStrategy.Candidates {
    final int[] counts;
    final Set<Integer> read = new HashSet<>();

    FixedCandidates(int... counts) {
      this.counts = counts;
    }

    @Override
    public int size() {
      return counts.length;
    }

    @Override
    public Host host(int index) {
      return Host.of("10.0.0.1", 7000 + index);
    }

    @Override
    public int activeConnections(int index) {
      read.add(index);
      return counts[index];
    }

    @Override
    public int leastLoaded() {
      int least = 0;
      for (int i = 1; i < counts.length; i++) {
        if (counts[i] < counts[least]) {
          least = i;
        }
      }
      return least;
    }
  }

  private List<Host> picks(HostPool pool, int n) {
    List<Host> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pool.acquire(CONNECTION).host());
    }
    return out;
  }

  @Test
  void leastConnectionsTakesTheLeastLoadedCandidate() {
    assertThat(Strategies.leastConnections().choose(new FixedCandidates(4, 2, 3), CONNECTION))
        .isEqualTo(1);
  }

  @Test
  void leastConnectionsIsTheDefaultOfAnUpstreamWithoutStrategy() {
    HostPool pool = new HostPool(Upstream.builder("api").hosts(hosts).build(), () -> 0);
    List<Lease> leases = Pools.acquire(pool, 3);
    leases.get(1).release();

    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(leases.get(1).host());
  }

  @Test
  void roundRobinCyclesOverTheCandidatesInConfigurationOrder() {
    HostPool pool = new HostPool(
        Upstream.builder("api").hosts(hosts).strategy(Strategies.roundRobin()).build(), () -> 0);

    assertThat(picks(pool, 7)).containsExactly(
        hosts.get(0), hosts.get(1), hosts.get(2), hosts.get(0), hosts.get(1), hosts.get(2),
        hosts.get(0));
  }

  @Test
  void roundRobinIgnoresLoad() {
    HostPool pool = new HostPool(
        Upstream.builder("api").hosts(hosts).strategy(Strategies.roundRobin()).build(), () -> 0);
    List<Lease> leases = Pools.acquire(pool, 3);
    leases.get(1).release();
    leases.get(2).release();

    assertThat(pool.acquire(CONNECTION).host()).isEqualTo(hosts.get(0));
  }

  @Test
  void roundRobinSkipsHostsThatAreDown() {
    HostPool pool = new HostPool(
        Upstream.builder("api")
            .hosts(hosts)
            .strategy(Strategies.roundRobin())
            .healthCheck(HealthCheck.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1))
            .build(),
        () -> 0);
    pool.reportHealthCheck(hosts.get(1), false);

    assertThat(picks(pool, 4)).containsExactly(
        hosts.get(0), hosts.get(2), hosts.get(0), hosts.get(2));
  }

  @Test
  void powerOfTwoChoicesNeverPicksTheOneMostLoadedCandidate() {
    BalancingStrategy p2c = Strategies.powerOfTwoChoices(new SplittableRandom(42));
    FixedCandidates candidates = new FixedCandidates(3, 9, 1, 4, 2);

    for (int i = 0; i < 1_000; i++) {
      assertThat(p2c.choose(candidates, CONNECTION)).isNotEqualTo(1);
    }
  }

  @Test
  void powerOfTwoChoicesComparesTwoDistinctCandidates() {
    // A generator that always draws 0 would pick the same candidate twice without the skip.
    RandomGenerator zeros = () -> 0L;
    FixedCandidates candidates = new FixedCandidates(5, 1, 0);

    int chosen = Strategies.powerOfTwoChoices(zeros).choose(candidates, CONNECTION);

    assertThat(candidates.read).containsExactlyInAnyOrder(0, 1);
    assertThat(chosen).isEqualTo(1);
  }

  @Test
  void powerOfTwoChoicesVisitsEveryCandidateOverManyPicks() {
    BalancingStrategy p2c = Strategies.powerOfTwoChoices(new SplittableRandom(1));
    FixedCandidates candidates = new FixedCandidates(0, 0, 0, 0);
    Set<Integer> chosen = new HashSet<>();

    for (int i = 0; i < 200; i++) {
      chosen.add(p2c.choose(candidates, CONNECTION));
    }

    assertThat(chosen).containsExactlyInAnyOrder(0, 1, 2, 3);
  }

  @Test
  void powerOfTwoChoicesWithOneCandidatePicksIt() {
    assertThat(Strategies.powerOfTwoChoices().choose(new FixedCandidates(7), CONNECTION)).isZero();
  }

  @Test
  void powerOfTwoChoicesKeepsTwoHostsBalancedThroughThePool() {
    HostPool pool = new HostPool(
        Upstream.builder("api").hosts(hosts.subList(0, 2)).strategy(Strategies.powerOfTwoChoices())
            .build(),
        () -> 0);

    Pools.acquire(pool, 10);

    assertThat(pool.snapshot()).extracting(HostStatus::activeConnections).containsOnly(5);
  }

  @Test
  void powerOfTwoChoicesRefusesANullGenerator() {
    assertThatThrownBy(() -> Strategies.powerOfTwoChoices(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("random");
  }

  @Test
  void namedKnowsEveryShippedStrategyWithLeastConnectionsFirst() {
    assertThat(Strategies.names())
        .containsExactly("least-connections", "round-robin", "power-of-two-choices");
    assertThat(Strategies.named("least-connections")).isSameAs(Strategies.leastConnections());
    assertThat(Strategies.named("round-robin")).isInstanceOf(RoundRobin.class);
    assertThat(Strategies.named("power-of-two-choices")).isInstanceOf(PowerOfTwoChoices.class);
  }

  @Test
  void unknownStrategyNameIsRefusedListingTheKnownOnes() {
    assertThatThrownBy(() -> Strategies.named("random"))
        .isInstanceOfSatisfying(io.lb4j.api.InvalidSettingException.class, e -> {
          assertThat(e.setting()).isEqualTo("strategy");
          assertThat(e.value()).isEqualTo("random");
        })
        .hasMessage("'random' is not a strategy (use least-connections, round-robin,"
            + " power-of-two-choices)");
  }
}
