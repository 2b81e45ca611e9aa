package io.lb4j.impl.admin;

/**
 * The one word an operator reads for a host: its {@link AdminState} when an operator took it out
 * of rotation, else its health.
 */
public enum HostState {
  /** Enabled and healthy: it takes new connections. */
  UP,
  /** Enabled but failing its health checks or passively marked down after a failed connect. */
  DOWN,
  /** Drained by an operator, or removed from the configuration while connections are still open. */
  DRAINING,
  /** Disabled by an operator. */
  DISABLED;

  /** Returns the state of a host from its parts. */
  static HostState of(AdminState admin, boolean healthy, boolean removed) {
    if (removed || admin == AdminState.DRAINING) {
      return DRAINING;
    }
    if (admin == AdminState.DISABLED) {
      return DISABLED;
    }
    return healthy ? UP : DOWN;
  }
}
