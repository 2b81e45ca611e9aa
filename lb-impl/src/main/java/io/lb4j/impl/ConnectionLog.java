package io.lb4j.impl;

import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Host;
import io.lb4j.api.Refuse;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConnectionListener} that writes one line per connection, when it closes, to the SLF4J
 * logger {@value #LOGGER} at INFO, in {@code key=value} form: the reference server's access log,
 * for an embedder in one line.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder()
 *     .upstream(api, address)
 *     .listener(new ConnectionLog())
 *     .build();
 * }</pre>
 *
 * <p>Lines look like this:
 *
 * <pre>
 * conn=7 client=127.0.0.1:51544 identity=alice upstream=echo host=127.0.0.1:7001 from_client=6 to_client=6 duration_ms=41 handshake_ms=12 close=client_closed
 * conn=9 client=127.0.0.1:51552 identity=alice upstream=api host=10.0.3.7:8443 host_name=api-1.example from_client=6 to_client=6 duration_ms=40 handshake_ms=11 close=client_closed
 * conn=8 client=127.0.0.1:51550 identity=mallory upstream=echo host=- from_client=0 to_client=0 duration_ms=9 handshake_ms=8 close=refused refusal=unauthorized detail="mallory may not reach echo (allowed: alice, trudy)"
 * conn=9 client=127.0.0.1:51556 identity=- upstream=echo host=- from_client=0 to_client=0 duration_ms=11 handshake_ms=0 close=refused refusal=tls_failed cause=revoked detail="handshake failed: certificate revoked: serial 1f issuer CN=clients"
 * </pre>
 *
 * <p>Fields: the connection id, the client's address, its identity ({@code -} without TLS), the
 * upstream and host ({@code -} before routing), application bytes each way, duration and TLS
 * handshake time in milliseconds, after a discovered host its {@code host_name} (the DNS name it
 * came from, when the log was given {@link #ConnectionLog(BiFunction) host names}), the
 * {@link io.lb4j.api.CloseReason} in lower case, and for a refusal its
 * {@link io.lb4j.api.RefusalReason} in lower case, its {@link io.lb4j.api.RefusalCause}
 * ({@code cause=revoked}) when it has one, its detail and any retry-after;
 * an error's message last. Values with spaces, quotes or equals signs are quoted. Route or silence
 * the lines through the logger's name in your logging configuration.
 *
 * <p>Each event thread reuses one buffer, so a line costs the string it becomes and little else.
 * Thread-safe; one instance may serve several load balancers.
 */
public final class ConnectionLog implements ConnectionListener {

  /** The logger's name, for the logging configuration. */
  public static final String LOGGER = "lb4j.access";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);
  private static final int MAX_BUFFER = 4096;

  private final ThreadLocal<StringBuilder> buffers =
      ThreadLocal.withInitial(() -> new StringBuilder(256));
  private final BiFunction<String, Host, Optional<String>> hostNames;

  /** Makes a listener that writes to the logger {@value #LOGGER}. */
  public ConnectionLog() {
    this((upstream, host) -> Optional.empty());
  }

  /**
   * Makes a listener that also names each discovered host by the DNS name it came from
   * ({@code host_name}).
   *
   * <pre>{@code
   * AtomicReference<LoadBalancer> running = new AtomicReference<>();
   * LoadBalancer lb = LoadBalancer.builder()
   *     .upstream(api, address)
   *     .listener(new ConnectionLog((upstream, host) -> running.get().origin(upstream, host)))
   *     .build();
   * running.set(lb);
   * lb.start();
   * }</pre>
   *
   * @param hostNames the name a host came from, by upstream and host, as
   *     {@link LoadBalancer#origin}; called once per forwarded connection, from its event loop,
   *     so it must be cheap and must not block
   */
  public ConnectionLog(BiFunction<String, Host, Optional<String>> hostNames) {
    this.hostNames = java.util.Objects.requireNonNull(hostNames, "hostNames");
  }

  @Override
  public void onClosed(ConnectionEvent e) {
    if (!log.isInfoEnabled()) {
      return;
    }
    StringBuilder b = buffers.get();
    b.setLength(0);
    format(e, e.host() == null ? null : hostNames.apply(e.connection().upstream(), e.host()).orElse(null), b);
    log.info(b.toString());
    if (b.capacity() > MAX_BUFFER) {
      // One huge detail must not pin a large buffer to an event-loop thread for good.
      buffers.remove();
    }
  }

  /**
   * Writes the line of one event, as {@link #onClosed} logs it for a listed host.
   *
   * @param e the event
   * @param b the buffer the line is appended to
   */
  public static void format(ConnectionEvent e, StringBuilder b) {
    format(e, null, b);
  }

  /**
   * Writes the line of one event whose host was discovered under {@code hostName}.
   *
   * @param e the event
   * @param hostName the DNS name the event's host came from, or null to leave {@code host_name} out
   * @param b the buffer the line is appended to
   */
  public static void format(ConnectionEvent e, String hostName, StringBuilder b) {
    ConnectionInfo c = e.connection();
    b.append("conn=").append(c.id());
    b.append(" client=");
    address(c.clientAddress(), b);
    b.append(" identity=");
    value(c.identity().displayName(), b);
    b.append(" upstream=");
    value(c.upstream().isEmpty() ? "-" : c.upstream(), b);
    b.append(" host=");
    if (e.host() == null) {
      b.append('-');
    } else {
      value(e.host().toString(), b);
      if (hostName != null) {
        b.append(" host_name=");
        value(hostName, b);
      }
    }
    b.append(" from_client=").append(e.bytesFromClient());
    b.append(" to_client=").append(e.bytesToClient());
    b.append(" duration_ms=").append(e.duration().toMillis());
    b.append(" handshake_ms=").append(e.handshakeTime().toMillis());
    b.append(" close=").append(e.reason().name().toLowerCase(Locale.ROOT));
    Refuse r = e.refusal();
    if (r != null) {
      b.append(" refusal=").append(r.reason().name().toLowerCase(Locale.ROOT));
      if (r.cause() != null) {
        b.append(" cause=").append(r.cause().name().toLowerCase(Locale.ROOT));
      }
      b.append(" detail=");
      quoted(r.detail(), b);
      if (!r.retryAfter().isZero()) {
        b.append(" retry_after_ms=").append(r.retryAfter().toMillis());
      }
    }
    if (e.error() != null) {
      b.append(" error=");
      String message = e.error().getMessage();
      quoted(message == null ? e.error().getClass().getSimpleName() : message, b);
    }
  }

  private static void address(InetSocketAddress a, StringBuilder b) {
    String host = a.getHostString();
    if (host.indexOf(':') >= 0) {
      b.append('[').append(host).append(']');
    } else {
      b.append(host);
    }
    b.append(':').append(a.getPort());
  }

  private static void value(String v, StringBuilder b) {
    if (v.isEmpty()) {
      b.append("\"\"");
      return;
    }
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      if (ch <= ' ' || ch == '"' || ch == '=' || ch == '\\' || ch == 0x7f) {
        quoted(v, b);
        return;
      }
    }
    b.append(v);
  }

  private static void quoted(String v, StringBuilder b) {
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      switch (ch) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (ch < ' ' || ch == 0x7f) {
            b.append(String.format("\\u%04x", (int) ch));
          } else {
            b.append(ch);
          }
        }
      }
    }
    b.append('"');
  }
}
