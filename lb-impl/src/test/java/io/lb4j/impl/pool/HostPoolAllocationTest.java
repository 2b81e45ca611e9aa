package io.lb4j.impl.pool;

import static io.lb4j.impl.pool.Pools.CONNECTION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.lb4j.api.Upstream;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class HostPoolAllocationTest {

  private static final int ROUNDS = 200_000;

  @Test
  void acquireAndReleaseAllocateNothingButTheLease() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeThat(threads.isThreadAllocatedMemorySupported()).isTrue();
    threads.setThreadAllocatedMemoryEnabled(true);
    HostPool pool = new HostPool(
        Upstream.builder("api").hosts(Pools.hosts(10_000)).build(), System::nanoTime);
    Pools.acquire(pool, 25_000);
    for (int i = 0; i < ROUNDS; i++) {
      pool.acquire(CONNECTION).release();
    }
    long thread = Thread.currentThread().getId();

    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < ROUNDS; i++) {
      pool.acquire(CONNECTION).release();
    }
    long perRound = (threads.getThreadAllocatedBytes(thread) - before) / ROUNDS;

    // A lease is 24 bytes with compressed references, 32 without; any extra object would show.
    assertThat(perRound).isLessThanOrEqualTo(40);
  }
}
