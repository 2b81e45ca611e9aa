package io.lb4j.testkit.upstream;

import io.lb4j.api.Host;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A listening port that answers no further connect: its accept queue is filled with connections
 * of its own that it never accepts, and Linux drops the SYN of any connect beyond a full queue, so
 * the connecting side sees neither an answer nor a refusal and its connect times out.
 */
final class UnresponsivePort implements TestUpstream {

  // The kernel queues backlog + 1 connections, so a backlog of 1 fills with two.
  private static final int BACKLOG = 1;
  private static final int MAX_FILLERS = 16;
  private static final int PROBE_TIMEOUT_MILLIS = 200;

  private final Object lifecycle = new Object();
  private final List<Socket> fillers = new ArrayList<>(); // guarded by lifecycle
  private ServerSocketChannel listener; // guarded by lifecycle; null while stopped
  private boolean closed; // guarded by lifecycle
  private volatile int port;

  void start() {
    synchronized (lifecycle) {
      listen(0);
    }
  }

  @Override
  public Host host() {
    return Host.of(LoopbackServer.LOOPBACK.getHostAddress(), port);
  }

  @Override
  public int port() {
    return port;
  }

  /** Always 0: this upstream never accepts. */
  @Override
  public int acceptedConnections() {
    return 0;
  }

  /** Always 0: this upstream never accepts. */
  @Override
  public int openConnections() {
    return 0;
  }

  @Override
  public void stop() {
    synchronized (lifecycle) {
      if (listener == null) {
        return;
      }
      for (Socket filler : fillers) {
        closeQuietly(filler);
      }
      fillers.clear();
      closeQuietly(listener);
      listener = null;
    }
  }

  @Override
  public void restart() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException(this + " is closed and cannot restart");
      }
      if (listener == null) {
        listen(port);
      }
    }
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
      stop();
    }
  }

  @Override
  public String toString() {
    return "unresponsive upstream on " + host();
  }

  private void listen(int wantedPort) {
    try {
      listener = ServerSocketChannel.open();
      listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      listener.bind(new InetSocketAddress(LoopbackServer.LOOPBACK, wantedPort), BACKLOG);
      port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
      fillAcceptQueue();
    } catch (IOException | RuntimeException e) {
      stop();
      String where = wantedPort == 0 ? "an ephemeral port" : "port " + wantedPort;
      if (e instanceof IOException) {
        throw new UncheckedIOException("unresponsive upstream cannot listen on " + where + " of "
            + LoopbackServer.LOOPBACK.getHostAddress() + ": " + e.getMessage(), (IOException) e);
      }
      throw (RuntimeException) e;
    }
  }

  private void fillAcceptQueue() throws IOException {
    InetSocketAddress address = new InetSocketAddress(LoopbackServer.LOOPBACK, port);
    for (int i = 0; i < MAX_FILLERS; i++) {
      Socket filler = new Socket();
      try {
        filler.connect(address, PROBE_TIMEOUT_MILLIS);
      } catch (SocketTimeoutException full) {
        // The first connect that gets no answer proves the queue full.
        closeQuietly(filler);
        return;
      } catch (IOException e) {
        closeQuietly(filler);
        throw e;
      }
      fillers.add(filler);
    }
    throw new IllegalStateException("the accept queue of " + host() + " did not fill after "
        + MAX_FILLERS + " connections: this platform answers connects beyond the listen backlog,"
        + " so it cannot offer an unresponsive port");
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // Nothing to do about a socket that fails to close; it is released either way.
    }
  }
}
