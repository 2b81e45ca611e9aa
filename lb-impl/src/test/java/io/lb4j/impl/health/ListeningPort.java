package io.lb4j.impl.health;

import io.lb4j.api.Host;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback port that a test opens and closes: while listening it accepts every connection and
 * closes it at once, as a healthy host answers a TCP check; while stopped, connects are refused.
 */
final class ListeningPort implements AutoCloseable {

  private final int port;
  private final AtomicInteger accepted = new AtomicInteger();
  private ServerSocket server;
  private Thread acceptor;

  private ListeningPort(ServerSocket server) {
    this.port = server.getLocalPort();
    start(server);
  }

  /** Returns a port that listens now. */
  static ListeningPort listening() {
    return new ListeningPort(bind(0));
  }

  /** Returns a port that nothing listens on until {@link #listen()}. */
  static ListeningPort stopped() {
    ListeningPort p = listening();
    p.stop();
    return p;
  }

  Host host() {
    return Host.of("127.0.0.1", port);
  }

  int acceptedConnections() {
    return accepted.get();
  }

  /** Listens again on the same port. */
  synchronized void listen() {
    if (server == null) {
      start(bind(port));
    }
  }

  /** Stops listening: new connects are refused. */
  synchronized void stop() {
    if (server == null) {
      return;
    }
    try {
      server.close();
      acceptor.join(5_000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  @Override
  public void close() {
    stop();
  }

  private static ServerSocket bind(int port) {
    try {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private synchronized void start(ServerSocket s) {
    server = s;
    acceptor = new Thread(() -> {
      while (true) {
        try (Socket ignored = s.accept()) {
          accepted.incrementAndGet();
        } catch (IOException closed) {
          return;
        }
      }
    }, "listening-port-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }
}
