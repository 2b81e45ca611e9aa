package io.lb4j.impl.admin;

/** The outcome of a host's latest active health check. */
public enum CheckResult {
  /** No check has reported yet, or the upstream has no health check. */
  NONE,
  /** The latest check connected. */
  PASSED,
  /** The latest check failed to connect within its timeout. */
  FAILED
}
