package io.lb4j.bench.soak;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.net.Socket;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * lb4j's view of the soak: connections accepted and closed, close reasons and refusal reasons,
 * and the close event of a given client socket, so a client that saw its stream cut can ask lb4j
 * why.
 *
 * <p>A connection is named by its client port and the listener's port, unique while the client
 * holds its socket open; the maps are keyed by that pair, so they never hold more entries than
 * there are ports, however long the soak runs. Thread-safe.
 */
final class SoakEvents implements ConnectionListener {

  private final LongAdder accepted = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private final Map<CloseReason, LongAdder> reasons = new EnumMap<>(CloseReason.class);
  private final Map<RefusalReason, LongAdder> refusals = new EnumMap<>(RefusalReason.class);
  private final Map<Long, Long> acceptedIds = new ConcurrentHashMap<>();
  private final Map<Long, ConnectionEvent> lastClosed = new ConcurrentHashMap<>();

  SoakEvents() {
    for (CloseReason r : CloseReason.values()) {
      reasons.put(r, new LongAdder());
    }
    for (RefusalReason r : RefusalReason.values()) {
      refusals.put(r, new LongAdder());
    }
  }

  private static long key(int clientPort, int listenerPort) {
    return ((long) clientPort << 32) | listenerPort;
  }

  private static long key(ConnectionInfo c) {
    return key(c.clientAddress().getPort(), c.localAddress().getPort());
  }

  @Override
  public void onAccepted(ConnectionInfo connection) {
    accepted.increment();
    acceptedIds.put(key(connection), connection.id());
  }

  @Override
  public void onRefused(ConnectionInfo connection, Refuse refusal) {
    refusals.get(refusal.reason()).increment();
  }

  @Override
  public void onClosed(ConnectionEvent event) {
    reasons.get(event.reason()).increment();
    lastClosed.put(key(event.connection()), event);
    closed.increment();
  }

  /**
   * Waits for lb4j's close event of the connection {@code socket} made, which must still be open
   * (it names the connection).
   *
   * @return the event, or empty if lb4j never accepted the connection or did not close it in time
   */
  Optional<ConnectionEvent> closeOf(Socket socket, Duration wait) {
    long key = key(socket.getLocalPort(), socket.getPort());
    long deadline = System.nanoTime() + wait.toNanos();
    do {
      Long id = acceptedIds.get(key);
      ConnectionEvent event = lastClosed.get(key);
      if (id != null && event != null && event.connection().id() == id) {
        return Optional.of(event);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    } while (System.nanoTime() < deadline);
    return Optional.empty();
  }

  long accepted() {
    return accepted.sum();
  }

  long closed() {
    return closed.sum();
  }

  Map<CloseReason, Long> reasons() {
    Map<CloseReason, Long> m = new EnumMap<>(CloseReason.class);
    reasons.forEach((k, v) -> {
      if (v.sum() > 0) {
        m.put(k, v.sum());
      }
    });
    return m;
  }

  Map<RefusalReason, Long> refusals() {
    Map<RefusalReason, Long> m = new EnumMap<>(RefusalReason.class);
    refusals.forEach((k, v) -> {
      if (v.sum() > 0) {
        m.put(k, v.sum());
      }
    });
    return m;
  }
}
