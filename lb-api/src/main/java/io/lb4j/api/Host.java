package io.lb4j.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One TCP address that serves an {@link Upstream}: a host name or IP literal and a port.
 *
 * <pre>{@code
 * Host host = Host.parse("127.0.0.1:7001");
 * Host same = Host.of("127.0.0.1", 7001);
 * }</pre>
 *
 * <p>Hosts are values: two hosts with the same name and port are equal, which is how a replaced
 * host list recognises the hosts that stay. Names are not resolved until lb4j connects.
 *
 * @param name a host name or an IP literal (IPv6 without brackets)
 * @param port a TCP port from 1 to 65535
 */
public record Host(String name, int port) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank or {@code port} is out of range
   */
  public Host {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("host name must not be blank");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be from 1 to 65535 but was " + port);
    }
  }

  /**
   * Returns the host at {@code name:port}.
   *
   * @param name a host name or IP literal
   * @param port a TCP port from 1 to 65535
   * @return the host
   */
  public static Host of(String name, int port) {
    return new Host(name, port);
  }

  /**
   * Parses {@code name:port}, {@code 1.2.3.4:port} or {@code [::1]:port}.
   *
   * @param text the address as written in a configuration
   * @return the host
   * @throws IllegalArgumentException if the text is not of that form
   */
  public static Host parse(String text) {
    Objects.requireNonNull(text, "text");
    String trimmed = text.trim();
    int colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || colon == trimmed.length() - 1) {
      throw new IllegalArgumentException("address must be host:port but was '" + text + "'");
    }
    String name = trimmed.substring(0, colon);
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    } else if (name.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "an IPv6 address must be written in brackets, as [::1]:port, but was '" + text + "'");
    }
    int port;
    try {
      port = Integer.parseInt(trimmed.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("port must be a number but was '" + text + "'");
    }
    return new Host(name, port);
  }

  /**
   * Returns an address for connecting, resolving the name now.
   *
   * @return a resolved socket address (unresolved if the name does not resolve)
   */
  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(name, port);
  }

  /** Returns {@code name:port}, with brackets around an IPv6 literal. */
  @Override
  public String toString() {
    return name.indexOf(':') >= 0 ? "[" + name + "]:" + port : name + ":" + port;
  }
}
