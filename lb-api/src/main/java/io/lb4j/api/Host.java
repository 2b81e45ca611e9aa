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
   * @throws InvalidSettingException if {@code name} is blank (setting {@code name}) or
   *     {@code port} is out of range (setting {@code port})
   */
  public Host {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new InvalidSettingException(
          "name", name, "host name must not be blank", "must not be blank", null);
    }
    if (port < 1 || port > 65535) {
      throw InvalidSettingException.of("port", port, "must be from 1 to 65535 but was " + port);
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
   * @throws InvalidSettingException if the text is not of that form (setting {@code address}) or
   *     its port is not from 1 to 65535 (setting {@code port}); the message quotes the text
   */
  public static Host parse(String text) {
    Parts parts = Parts.split(text);
    return new Host(parts.name(), parts.port());
  }

  /**
   * Parses the address of a listener, written as a host is but with port 0 allowed (any free
   * port), and resolves its name now: a listener binds an address, not a name. Resolving may
   * block on DNS; call it where blocking is allowed.
   *
   * @param text {@code name:port}, {@code 1.2.3.4:port} or {@code [::1]:port}
   * @return the resolved address
   * @throws InvalidSettingException if the text is not of that form (setting {@code address}), its
   *     port is not from 0 to 65535 (setting {@code port}), or its name does not resolve (setting
   *     {@code address})
   */
  public static InetSocketAddress parseListenAddress(String text) {
    Parts parts = Parts.split(text);
    if (parts.port() < 0 || parts.port() > 65535) {
      throw InvalidSettingException.of(
          "port", parts.port(), "must be from 0 to 65535 but was " + parts.port());
    }
    InetSocketAddress address = new InetSocketAddress(parts.name(), parts.port());
    if (address.isUnresolved()) {
      String problem = "'" + parts.name() + "' does not resolve to an address";
      throw new InvalidSettingException("address", text, problem, problem, null);
    }
    return address;
  }

  /** A name and a port as written, before either is checked: the one parser of host:port. */
  private record Parts(String name, int port) {
    static Parts split(String text) {
      Objects.requireNonNull(text, "text");
      String trimmed = text.trim();
      int colon = trimmed.lastIndexOf(':');
      if (colon <= 0 || colon == trimmed.length() - 1) {
        throw InvalidSettingException.of(
            "address", text, "must be host:port but was '" + text + "'");
      }
      String name = trimmed.substring(0, colon);
      if (name.startsWith("[") && name.endsWith("]")) {
        name = name.substring(1, name.length() - 1);
      } else if (name.indexOf(':') >= 0) {
        String problem =
            "an IPv6 address must be written in brackets, as [::1]:port, but was '" + text + "'";
        throw new InvalidSettingException("address", text, problem, problem, null);
      }
      try {
        return new Parts(name, Integer.parseInt(trimmed.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw InvalidSettingException.of("port", text, "must be a number but was '" + text + "'");
      }
    }
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
