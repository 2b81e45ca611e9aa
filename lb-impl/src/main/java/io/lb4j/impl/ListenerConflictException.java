package io.lb4j.impl;

import io.lb4j.api.InvalidSettingException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Two upstreams added to one {@link LoadBalancer.Builder} cannot share the listener they both
 * name: neither has a server name to tell them apart (setting {@code listen}), or both have the
 * same one (setting {@code serverName}). Carries both upstreams' names, the address and the server
 * name, so that a program that read them from a file can name its own fields.
 *
 * <p>Immutable.
 */
public final class ListenerConflictException extends InvalidSettingException {

  private static final long serialVersionUID = 1L;

  private final transient InetSocketAddress address;
  private final String upstream;
  private final String sharedWith;
  private final String serverName;

  ListenerConflictException(
      InetSocketAddress address, String upstream, String sharedWith, String serverName) {
    super(
        serverName == null ? "listen" : "serverName",
        serverName == null ? address.toString() : serverName,
        message(address, upstream, sharedWith, serverName),
        message(address, upstream, sharedWith, serverName),
        null);
    this.address = Objects.requireNonNull(address, "address");
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.sharedWith = Objects.requireNonNull(sharedWith, "sharedWith");
    this.serverName = serverName;
  }

  private static String message(
      InetSocketAddress address, String upstream, String sharedWith, String serverName) {
    return serverName == null
        ? "upstreams '" + sharedWith + "' and '" + upstream + "' share listener " + address
            + " and neither has a serverName to tell them apart"
        : "serverName '" + serverName + "' is used twice on listener " + address;
  }

  /** Returns the address both upstreams listen on. */
  public InetSocketAddress address() {
    return address;
  }

  /** Returns the name of the upstream that was being added. */
  public String upstream() {
    return upstream;
  }

  /** Returns the name of the upstream added before it, on the same listener. */
  public String sharedWith() {
    return sharedWith;
  }

  /**
   * Returns the server name both upstreams claim (lower-case), or null when the conflict is that
   * neither has one.
   */
  public String serverName() {
    return serverName;
  }
}
