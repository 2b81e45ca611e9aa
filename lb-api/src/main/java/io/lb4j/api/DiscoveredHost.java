package io.lb4j.api;

import java.util.Objects;

/**
 * One host of an upstream as a {@link HostSource} found it: where to connect, its weight, and the
 * name it was found under, so that metrics and logs can say where a host came from.
 *
 * <pre>{@code
 * // An SRV answer "_api._tcp.example. 30 IN SRV 10 60 8443 api-1.example." with api-1 at 10.0.0.7:
 * DiscoveredHost h = new DiscoveredHost(Host.of("10.0.0.7", 8443), 60, "api-1.example");
 * }</pre>
 *
 * @param host where to connect; a source that resolves names gives the address it resolved
 * @param weight from 1 to {@link Defaults#MAX_HOST_WEIGHT}; {@link Defaults#HOST_WEIGHT} where the
 *     source has no weights
 * @param origin the name the source found the host under (a DNS name, a registry key), or null
 *     when it has none
 */
public record DiscoveredHost(Host host, int weight, String origin) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code host} is null
   * @throws InvalidSettingException if {@code weight} is out of range (setting {@code weight}) or
   *     {@code origin} is blank (setting {@code origin})
   */
  public DiscoveredHost {
    Objects.requireNonNull(host, "host");
    InvalidSettingException.requireArgument(
        weight >= 1 && weight <= Defaults.MAX_HOST_WEIGHT,
        "weight",
        weight,
        "must be from 1 to " + Defaults.MAX_HOST_WEIGHT + " but was " + weight);
    if (origin != null && origin.isBlank()) {
      throw InvalidSettingException.of("origin", origin, "must not be blank");
    }
  }

  /**
   * Returns a host of weight {@link Defaults#HOST_WEIGHT} with no origin, as a fixed list has.
   *
   * @param host where to connect
   * @return the discovered host
   */
  public static DiscoveredHost of(Host host) {
    return new DiscoveredHost(host, Defaults.HOST_WEIGHT, null);
  }
}
