package io.lb4j.impl.pool;

import io.lb4j.api.Host;
import io.lb4j.impl.admin.AdminState;
import io.lb4j.impl.admin.CheckResult;

/**
 * What a {@link HostPool} knows of one host: its connection count, its health and where it sits in
 * the pool's candidate list and least-connections order. Every field is guarded by the pool's
 * lock; leases hold a reference so that a release finds its entry even after the host was removed.
 */
final class HostEntry {

  /**
   * Units of effective weight per unit of configured weight: slow start grows a host's weight in
   * steps this fine, and a weight-1 host can start at 1/128 of its share.
   */
  static final int WEIGHT_SCALE = 128;

  final Host host;

  /** The configured weight, from 1 to 256. */
  int weight = 1;

  /**
   * The weight the load order uses, in {@link #WEIGHT_SCALE} units: {@code weight * WEIGHT_SCALE},
   * or less (at least 1) while the host is in slow start.
   */
  int effectiveWeight = WEIGHT_SCALE;

  /** Whether the host is in slow start, growing its effective weight since {@link #rampStartNanos}. */
  boolean ramping;

  long rampStartNanos;

  /** Leases not yet released, including connections still connecting. */
  int count;

  /** False once the host left the configuration: it drains and is forgotten at count 0. */
  boolean configured = true;

  /** Index in the configuration-ordered candidate list, or -1 when not eligible. */
  int candidateIndex = -1;

  /** Index in the load-ordered heap, or -1 when not eligible. */
  int heapIndex = -1;

  /** Whether the active health check (or a passive mark under one) has the host in rotation. */
  boolean activeUp = true;

  /** Active check results in a row that point away from {@link #activeUp}. */
  int streak;

  /** Set by a failed connect when no active check runs; cleared once the clock passes the time. */
  boolean passiveDown;

  long passiveUpAtNanos;

  /** What an operator ordered; kept while the host stays configured, reset when it leaves. */
  AdminState admin = AdminState.ENABLED;

  /** The latest active check's outcome and how many in a row had it, for operators. */
  CheckResult lastCheck = CheckResult.NONE;

  int checksInARow;

  HostEntry(Host host) {
    this.host = host;
  }

  boolean up() {
    return activeUp && !passiveDown;
  }

  boolean eligible() {
    return configured && admin == AdminState.ENABLED && up();
  }

  @Override
  public String toString() {
    return host + "(" + count + (weight == 1 ? "" : ", weight " + weight)
        + (ramping ? ", slow start" : "") + (up() ? "" : ", down") + (configured ? "" : ", draining")
        + (admin == AdminState.ENABLED ? "" : ", " + admin) + ")";
  }
}
