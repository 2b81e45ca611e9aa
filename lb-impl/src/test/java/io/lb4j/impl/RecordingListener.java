package io.lb4j.impl;

import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Host;
import io.lb4j.api.Refuse;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Records every connection event, for assertions. */
final class RecordingListener implements ConnectionListener {
  final AtomicInteger accepted = new AtomicInteger();
  final ConcurrentLinkedQueue<Refuse> refusals = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Host> connected = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
  final java.util.Map<Integer, Host> hostByClientPort = new java.util.concurrent.ConcurrentHashMap<>();

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
    connected.add(host);
    hostByClientPort.put(connection.clientAddress().getPort(), host);
  }

  @Override
  public void onClosed(ConnectionEvent event) {
    closed.add(event);
  }

  List<ConnectionEvent> closedEvents() {
    return List.copyOf(closed);
  }
}
