package io.lb4j.impl.balancing;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ConnectionInfo;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/** Draws two distinct candidates and keeps the less loaded per unit of weight. */
final class PowerOfTwoChoices implements BalancingStrategy {

  /** Null for the calling thread's {@link ThreadLocalRandom}. */
  private final RandomGenerator random;

  PowerOfTwoChoices(RandomGenerator random) {
    this.random = random;
  }

  @Override
  public int choose(Candidates candidates, ConnectionInfo connection) {
    int n = candidates.size();
    if (n == 1) {
      return 0;
    }
    RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
    int first = r.nextInt(n);
    // Drawing from n - 1 and skipping over the first keeps the second distinct and uniform.
    int second = r.nextInt(n - 1);
    if (second >= first) {
      second++;
    }
    // (second + 1) / w2 < (first + 1) / w1, multiplied out: exact for equal weights.
    double loadSecond = (candidates.activeConnections(second) + 1.0) * candidates.weight(first);
    double loadFirst = (candidates.activeConnections(first) + 1.0) * candidates.weight(second);
    return loadSecond < loadFirst ? second : first;
  }

  @Override
  public String toString() {
    return "power-of-two-choices";
  }
}
