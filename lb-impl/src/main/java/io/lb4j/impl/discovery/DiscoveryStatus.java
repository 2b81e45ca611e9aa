package io.lb4j.impl.discovery;

import io.lb4j.api.HostSource;
import io.lb4j.api.HostSource.Failure;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the discovery of one upstream's hosts fares, as {@code LoadBalancer.discoveryStatus} reports
 * it for metrics and administration.
 *
 * @param source the upstream's {@link HostSource}, as its {@code toString()} names it
 * @param hosts how many hosts the last published set had; 0 before the first
 * @param setAge how long ago the last set was published (a lookup that found the same hosts
 *     counts), or empty before the first
 * @param failures how many lookups failed since the load balancer started, by kind; every kind is
 *     present
 * @param outage the detail of the failure that began the current outage, or empty when the last
 *     lookup succeeded
 */
public record DiscoveryStatus(
    String source, int hosts, Optional<Duration> setAge, Map<Failure, Long> failures, Optional<String> outage) {

  /**
   * Checks and copies the parts.
   *
   * @throws NullPointerException if a part is null
   */
  public DiscoveryStatus {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(setAge, "setAge");
    failures = Map.copyOf(failures);
    Objects.requireNonNull(outage, "outage");
  }

  /**
   * Returns the failures of one kind.
   *
   * @param kind the kind
   * @return the count, 0 if none
   */
  public long failures(Failure kind) {
    return failures.getOrDefault(kind, 0L);
  }
}
