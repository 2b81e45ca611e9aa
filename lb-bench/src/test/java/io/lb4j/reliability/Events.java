package io.lb4j.reliability;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.net.Socket;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** Records what lb4j reports of every connection, for assertions. Thread-safe. */
final class Events implements ConnectionListener {

  final AtomicInteger accepted = new AtomicInteger();
  final ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Refuse> refusals = new ConcurrentLinkedQueue<>();
  private final Map<Integer, Host> hostByClientPort = new ConcurrentHashMap<>();
  private final Map<Integer, ConnectionEvent> closedByClientPort = new ConcurrentHashMap<>();

  @Override
  public void onAccepted(ConnectionInfo connection) {
    accepted.incrementAndGet();
  }

  @Override
  public void onRefused(ConnectionInfo connection, Refuse refusal) {
    refusals.add(refusal);
  }

  @Override
  public void onConnected(ConnectionInfo connection, Host host) {
    hostByClientPort.put(connection.clientAddress().getPort(), host);
  }

  @Override
  public void onClosed(ConnectionEvent event) {
    closedByClientPort.put(event.connection().clientAddress().getPort(), event);
    closed.add(event);
  }

  /** Returns the host lb4j forwarded the connection from this client port to, or null. */
  Host hostOf(int clientPort) {
    return hostByClientPort.get(clientPort);
  }

  /** Returns lb4j's close event of the connection from this client port, or null (yet). */
  ConnectionEvent closeOf(int clientPort) {
    return closedByClientPort.get(clientPort);
  }

  /** Returns lb4j's close event of this socket's connection, or null (yet). */
  ConnectionEvent closeOf(Socket socket) {
    return closeOf(socket.getLocalPort());
  }

  int closedCount() {
    return closed.size();
  }

  long closedWith(Predicate<ConnectionEvent> p) {
    return closed.stream().filter(p).count();
  }

  Map<CloseReason, Long> reasons() {
    Map<CloseReason, Long> m = new EnumMap<>(CloseReason.class);
    for (ConnectionEvent e : closed) {
      m.merge(e.reason(), 1L, Long::sum);
    }
    return m;
  }

  Map<RefusalReason, Long> refusalReasons() {
    Map<RefusalReason, Long> m = new EnumMap<>(RefusalReason.class);
    for (Refuse r : refusals) {
      m.merge(r.reason(), 1L, Long::sum);
    }
    return m;
  }

  List<ConnectionEvent> closedEvents() {
    return List.copyOf(closed);
  }
}
