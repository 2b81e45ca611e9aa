package io.lb4j.impl;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * A listener of {@link LoadBalancer#start()} could not bind its address: in use, not an address of
 * this machine, or a privileged port. Says which address and which upstreams it was to serve, so a
 * program that built the load balancer from a file can point at the line at fault without reading
 * the message; the message, {@code "cannot listen on 127.0.0.1:9443: Address already in use"}, is
 * for people. The cause is the bind's own failure.
 *
 * <p>An {@link IllegalStateException}, as {@code start()} documented before this type existed.
 * Immutable.
 */
public final class ListenerBindException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final transient InetSocketAddress address;
  private final List<String> upstreams;

  /**
   * Creates the exception.
   *
   * @param address the address that could not be bound; not null
   * @param upstreams the names of the upstreams the listener was to serve, in the order added; not
   *     null
   * @param cause the bind's failure; not null
   */
  public ListenerBindException(InetSocketAddress address, List<String> upstreams, Throwable cause) {
    super(
        "cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
            + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()),
        cause);
    this.address = address;
    this.upstreams = List.copyOf(Objects.requireNonNull(upstreams, "upstreams"));
  }

  /** Returns the address that could not be bound, as it was configured (port 0 included). */
  public InetSocketAddress address() {
    return address;
  }

  /** Returns the names of the upstreams served by that listener, in the order they were added. */
  public List<String> upstreams() {
    return upstreams;
  }
}
