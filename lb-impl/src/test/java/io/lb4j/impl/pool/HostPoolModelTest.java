package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static io.lb4j.impl.pool.Pools.activeConnections;
import static io.lb4j.impl.pool.Pools.totalActiveConnections;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Drives a pool with thousands of random operations and compares it, after each one, with a
 * brute-force model that scans every host: counts, health, draining, weights, and that each pick
 * goes to a host with the least connections per unit of weight.
 */
class HostPoolModelTest {

  private static final int OPERATIONS = 4_000;
  private static final Duration DOWN_TIME = Duration.ofSeconds(10);
  private static final HealthCheck CHECK =
      HealthCheck.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 3);
  private static final List<Host> UNIVERSE = Pools.hosts(14);

  static Stream<Arguments> runs() {
    return Stream.of(1L, 2L, 3L, 4L, 5L, 6L)
        .flatMap(seed -> Stream.of(
            Arguments.of(seed, false, false),
            Arguments.of(seed, true, false),
            Arguments.of(seed, false, true),
            Arguments.of(seed, true, true)));
  }

  @ParameterizedTest(name = "seed {0}, strategy through the candidates view: {1}, weighted: {2}")
  @MethodSource("runs")
  void leastConnectionsPickAlwaysHasTheMinimumLoadUnderRandomOperations(
      long seed, boolean view, boolean weighted) {
    new Run(new Random(seed), view, weighted).go();
  }

  /** The model's view of one host. */
  private static final class ModelHost {
    int count;
    int weight = 1;
    boolean configured = true;
    boolean activeUp = true;
    int streak;
    boolean passiveDown;
    long passiveUpAt;

    @Override
    public String toString() {
      return count + "/" + weight;
    }
  }

  private static final class Run {
    private final Random random;
    private final boolean throughView;
    private final boolean weighted;
    private long now = 5_000_000_000L;
    private final Map<Host, ModelHost> model = new HashMap<>();
    private List<Host> configured = new ArrayList<>();
    private boolean withCheck;
    private final List<Lease> open = new ArrayList<>();
    private final List<Lease> released = new ArrayList<>();
    private final HostPool pool;

    Run(Random random, boolean throughView, boolean weighted) {
      this.random = random;
      this.throughView = throughView;
      this.weighted = weighted;
      this.withCheck = random.nextBoolean();
      this.configured = randomHosts();
      configured.forEach(h -> model.put(h, new ModelHost()));
      drawWeights();
      this.pool = new HostPool(upstream(), () -> now);
    }

    void go() {
      for (int step = 0; step < OPERATIONS; step++) {
        int dice = random.nextInt(100);
        String op;
        if (dice < 45) {
          op = acquire();
        } else if (dice < 70) {
          op = release();
        } else if (dice < 74) {
          op = connectFailed();
        } else if (dice < 86) {
          op = healthReport();
        } else if (dice < 89) {
          op = update();
        } else if (dice < 95) {
          now += (long) (random.nextDouble() * 1.5 * DOWN_TIME.toNanos());
          op = "advance clock";
        } else {
          op = releaseAgain();
        }
        compare(step, op);
      }
      open.forEach(Lease::release);
      assertThat(totalActiveConnections(pool)).isZero();
      assertThat(pool.snapshot()).allSatisfy(s -> assertThat(s.draining()).isFalse());
      pool.checkInvariants();
    }

    private Upstream upstream() {
      BalancingStrategy strategy =
          throughView ? (candidates, connection) -> checkedLeastLoaded(candidates) : null;
      Upstream.Builder b = Upstream.builder("api")
          .hosts(configured)
          .passiveDownTime(DOWN_TIME)
          .healthCheck(withCheck ? CHECK : null)
          .strategy(strategy);
      configured.forEach(h -> b.weight(h, weight(h)));
      return b.build();
    }

    /** Gives each configured host a random weight, some of them large, when the run is weighted. */
    private void drawWeights() {
      if (weighted) {
        for (Host h : configured) {
          model.get(h).weight =
              random.nextInt(8) == 0 ? 1 + random.nextInt(256) : 1 + random.nextInt(4);
        }
      }
    }

    private int weight(Host h) {
      return model.get(h).weight;
    }

    /** Whether {@code a} carries less load than {@code b} with one more connection each. */
    private boolean lighter(Host a, Host b) {
      return (model.get(a).count + 1L) * weight(b) < (model.get(b).count + 1L) * weight(a);
    }

    /** Asserts that no eligible host would carry less load than {@code picked}. */
    private void assertLeastLoaded(Host picked, List<Host> eligible) {
      for (Host h : eligible) {
        if (lighter(h, picked)) {
          assertThat(h).as("%s lighter than the pick %s among %s", h, picked, model).isNull();
        }
      }
    }

    /** Checks the view against the model by brute force, then answers as least connections. */
    private int checkedLeastLoaded(BalancingStrategy.Candidates candidates) {
      List<Host> expected = eligible();
      assertThat(candidates.size()).isEqualTo(expected.size());
      for (int i = 0; i < candidates.size(); i++) {
        assertThat(candidates.host(i)).isEqualTo(expected.get(i));
        assertThat(candidates.activeConnections(i)).isEqualTo(model.get(expected.get(i)).count);
        assertThat(candidates.weight(i)).isEqualTo((double) weight(expected.get(i)));
      }
      int least = candidates.leastLoaded();
      assertLeastLoaded(candidates.host(least), expected);
      return least;
    }

    private boolean up(ModelHost m) {
      return m.activeUp && !(m.passiveDown && now - m.passiveUpAt < 0);
    }

    private List<Host> eligible() {
      return configured.stream().filter(h -> up(model.get(h))).toList();
    }

    private String acquire() {
      List<Host> eligible = eligible();
      Lease lease = pool.acquire(CONNECTION);
      if (eligible.isEmpty()) {
        assertThat(lease).as("no host is eligible").isNull();
        return "acquire (none)";
      }
      assertThat(lease).as("eligible: %s", eligible).isNotNull();
      assertThat(eligible).contains(lease.host());
      assertLeastLoaded(lease.host(), eligible);
      model.get(lease.host()).count++;
      open.add(lease);
      return "acquire " + lease.host();
    }

    private Lease takeOpen() {
      return open.isEmpty() ? null : open.remove(random.nextInt(open.size()));
    }

    private void releaseInModel(Host host) {
      ModelHost m = model.get(host);
      m.count--;
      if (!m.configured && m.count == 0) {
        model.remove(host);
      }
    }

    private String release() {
      Lease lease = takeOpen();
      if (lease == null) {
        return "release (none)";
      }
      lease.release();
      releaseInModel(lease.host());
      released.add(lease);
      return "release " + lease.host();
    }

    private String releaseAgain() {
      if (released.isEmpty()) {
        return "release again (none)";
      }
      Lease lease = released.get(random.nextInt(released.size()));
      if (random.nextBoolean()) {
        lease.release();
      } else {
        lease.connectFailed();
        mark(lease.host());
      }
      return "release again " + lease.host();
    }

    private String connectFailed() {
      Lease lease = takeOpen();
      if (lease == null) {
        return "connect failed (none)";
      }
      lease.connectFailed();
      Host host = lease.host();
      ModelHost m = model.get(host);
      mark(host);
      releaseInModel(host);
      released.add(lease);
      return "connect failed " + host + (m.configured ? "" : " (draining)");
    }

    private void mark(Host host) {
      ModelHost m = model.get(host);
      if (m == null) {
        return; // forgotten: the mark lands on an entry nobody sees any more
      }
      if (withCheck) {
        m.activeUp = false;
        m.streak = 0;
      } else {
        m.passiveDown = true;
        m.passiveUpAt = now + DOWN_TIME.toNanos();
      }
    }

    private String healthReport() {
      Host host = UNIVERSE.get(random.nextInt(UNIVERSE.size()));
      boolean success = random.nextInt(3) > 0;
      boolean changed = pool.reportHealthCheck(host, success);
      ModelHost m = model.get(host);
      boolean expectChange = false;
      if (withCheck && m != null) {
        if (m.activeUp == success) {
          m.streak = 0;
        } else if (++m.streak >= (success ? CHECK.rise() : CHECK.fall())) {
          m.activeUp = success;
          m.streak = 0;
          expectChange = true;
        }
      }
      assertThat(changed).as("state change reported").isEqualTo(expectChange);
      return "health " + host + " " + success;
    }

    private String update() {
      boolean hadCheck = withCheck;
      if (random.nextInt(4) == 0) {
        withCheck = !withCheck;
      }
      List<Host> next = randomHosts();
      Set<ModelHost> draining = new HashSet<>();
      for (ModelHost m : model.values()) {
        if (!m.configured) {
          draining.add(m);
        }
        m.configured = false;
      }
      for (Host h : next) {
        ModelHost m = model.computeIfAbsent(h, x -> new ModelHost());
        if (draining.contains(m)) {
          // A host back from draining starts up: nothing of its earlier health is kept.
          m.activeUp = true;
          m.streak = 0;
          m.passiveDown = false;
        }
        m.configured = true;
      }
      model.values().removeIf(m -> !m.configured && m.count == 0);
      if (hadCheck && !withCheck) {
        for (ModelHost m : model.values()) {
          m.activeUp = true;
          m.streak = 0;
        }
      }
      configured = next;
      drawWeights();
      pool.update(upstream());
      return "update " + next + " check " + withCheck;
    }

    private List<Host> randomHosts() {
      List<Host> shuffled = new ArrayList<>(UNIVERSE);
      Collections.shuffle(shuffled, random);
      return new ArrayList<>(shuffled.subList(0, random.nextInt(UNIVERSE.size() + 1)));
    }

    private void compare(int step, String op) {
      // Plain comparisons first; AssertJ only to describe a difference, as it is slow per call.
      String where = "after step " + step + ": " + op;
      try {
        pool.checkInvariants();
      } catch (AssertionError e) {
        throw new AssertionError(where + ": " + e.getMessage(), e);
      }
      int total = 0;
      for (Host h : UNIVERSE) {
        ModelHost m = model.get(h);
        int expected = m == null ? 0 : m.count;
        total += expected;
        if (activeConnections(pool, h) != expected) {
          assertThat(activeConnections(pool, h)).as("%s: count of %s", where, h).isEqualTo(expected);
        }
      }
      if (totalActiveConnections(pool) != total) {
        assertThat(totalActiveConnections(pool)).as(where).isEqualTo(total);
      }
      List<HostStatus> expected = new ArrayList<>();
      for (Host h : configured) {
        ModelHost m = model.get(h);
        expected.add(new HostStatus(h, m.count, up(m), false, weight(h), 1));
      }
      Set<HostStatus> draining = new HashSet<>();
      model.forEach((h, m) -> {
        if (!m.configured) {
          draining.add(new HostStatus(h, m.count, up(m), true, m.weight, 1));
        }
      });
      List<HostStatus> actual = pool.snapshot();
      if (!actual.subList(0, Math.min(actual.size(), expected.size())).equals(expected)
          || !new HashSet<>(actual.subList(Math.min(actual.size(), expected.size()), actual.size()))
              .equals(draining)
          || actual.size() != expected.size() + draining.size()) {
        expected.addAll(draining);
        assertThat(actual).as(where).containsExactlyElementsOf(expected);
      }
    }
  }
}
