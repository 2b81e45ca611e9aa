package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.balancing.HostStatus;
import java.time.Duration;

/** Assertions that lb4j holds nothing once its clients are gone. */
final class Quiet {

  private Quiet() {}

  /**
   * Waits until lb4j has no connection open and no host of the given upstreams holds a lease,
   * then asserts both (so a failure names what is left).
   */
  static void assertNothingHeld(LoadBalancer lb, String... upstreams) {
    await("lb4j's open connections reach zero")
        .atMost(Duration.ofSeconds(30))
        .until(() -> lb.openConnections() == 0);
    for (String upstream : upstreams) {
      await("leases of " + upstream + " reach zero")
          .atMost(Duration.ofSeconds(10))
          .until(() -> lb.hostStatus(upstream).stream().allMatch(s -> s.activeConnections() == 0));
      assertThat(lb.hostStatus(upstream))
          .as("host leases of %s", upstream)
          .extracting(HostStatus::activeConnections)
          .containsOnly(0);
    }
    assertThat(lb.openConnections()).isZero();
  }
}
