package io.lb4j.impl.admin;

/**
 * What an operator ordered for a host, kept apart from its health: a disabled host whose health
 * checks pass stays out of rotation, and an enabled host whose checks fail is down.
 */
public enum AdminState {
  /** Takes new connections whenever its health allows. */
  ENABLED,
  /** Takes no new connection; its open connections go on until they end. */
  DRAINING,
  /** Takes no new connection; its open connections are closed once the grace period given ran out. */
  DISABLED
}
