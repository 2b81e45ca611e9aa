package io.lb4j.impl.balancing;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ConnectionInfo;

/** Picks a candidate with the fewest connections; the pool keeps that answer ready. */
final class LeastConnections implements BalancingStrategy {

  @Override
  public int choose(Candidates candidates, ConnectionInfo connection) {
    return candidates.leastLoaded();
  }

  @Override
  public String toString() {
    return "least-connections";
  }
}
