package io.lb4j.impl.balancing;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ConnectionInfo;
import java.util.concurrent.atomic.AtomicInteger;

/** Visits the candidates in order. */
final class RoundRobin implements BalancingStrategy {

  // Atomic so that one instance may serve several upstreams; under one pool's lock it is uncontended.
  private final AtomicInteger cursor = new AtomicInteger();

  @Override
  public int choose(Candidates candidates, ConnectionInfo connection) {
    return Math.floorMod(cursor.getAndIncrement(), candidates.size());
  }

  @Override
  public String toString() {
    return "round-robin";
  }
}
