package io.lb4j.impl;

import io.lb4j.api.ConnectionEvent;
import java.util.concurrent.CompletionStage;

/**
 * A connection handed to {@link Forwarder#forward}: its event when it ends, and a way to end it.
 * Thread-safe.
 */
public interface ForwardedConnection {

  /** Returns a number unique to this connection within its forwarder, as in its events. */
  long id();

  /**
   * Returns a stage that completes with the connection's event when it closes, however it closes.
   */
  CompletionStage<ConnectionEvent> closed();

  /**
   * Closes both sides now, releasing the host; the event reports {@code SHUTDOWN}. Idempotent;
   * does not wait.
   */
  void close();
}
