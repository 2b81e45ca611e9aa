package io.lb4j.impl.admin;

import io.lb4j.api.Upstream;
import java.util.List;
import java.util.Objects;

/**
 * One upstream at one moment, as an operator sees it: the settings in force and every host.
 *
 * @param settings the upstream as it is served now, weights included
 * @param hosts the configured hosts in configuration order, then removed ones still draining
 */
public record UpstreamView(Upstream settings, List<HostView> hosts) {

  /**
   * Checks and copies the parts.
   *
   * @throws NullPointerException if a part is null
   */
  public UpstreamView {
    Objects.requireNonNull(settings, "settings");
    hosts = List.copyOf(hosts);
  }

  /** Returns the upstream's name. */
  public String name() {
    return settings.name();
  }
}
