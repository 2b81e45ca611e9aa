package io.lb4j.testkit.upstream;

import io.lb4j.api.Host;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loopback TCP server run by one selector thread, whose connections behave as the subclass
 * says. Every socket operation happens on that thread, so connection handlers need no locks; the
 * counters are atomics so tests may read them from anywhere.
 *
 * <p>A loop lives from start (or restart) to stop: stopping ends the thread, and the thread on
 * its way out closes the listener and resets every connection. Restarting starts a new loop on
 * the same port.
 */
abstract class LoopbackServer implements TestUpstream {

  static final InetAddress LOOPBACK = loopbackV4();

  private static final Logger log = LoggerFactory.getLogger(LoopbackServer.class);
  private static final int BACKLOG = 512;
  private static final int SCRATCH_SIZE = 64 * 1024;
  private static final Duration STOP_WAIT = Duration.ofSeconds(10);

  private final String kind;
  private final InetAddress bindAddress;
  private final int firstPort;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final Object lifecycle = new Object();
  private volatile int port;
  private Loop loop; // guarded by lifecycle; null while stopped
  private boolean closed; // guarded by lifecycle

  LoopbackServer(String kind) {
    this(kind, LOOPBACK, 0);
  }

  /** A server on another loopback address or a chosen port (0 for an ephemeral one). */
  LoopbackServer(String kind, InetAddress bindAddress, int port) {
    this.kind = kind;
    this.bindAddress = bindAddress;
    this.firstPort = port;
  }

  /** Binds its port and starts serving; called once, after construction completes. */
  final void start() {
    synchronized (lifecycle) {
      loop = listen(firstPort);
      port = loop.port;
    }
  }

  /**
   * Makes the handler of a newly accepted connection. Runs on the loop thread; the channel is
   * non-blocking and not yet registered.
   */
  abstract Connection newConnection(SocketChannel channel, ByteBuffer scratch);

  @Override
  public final Host host() {
    return Host.of(bindAddress.getHostAddress(), port);
  }

  @Override
  public final int port() {
    return port;
  }

  @Override
  public final int acceptedConnections() {
    return accepted.get();
  }

  @Override
  public final int openConnections() {
    return open.get();
  }

  @Override
  public final void stop() {
    synchronized (lifecycle) {
      if (loop != null) {
        // Joined under the lock so that a restart cannot try to bind while the old listener is
        // still open; the loop thread never takes this lock.
        loop.stopAndJoin();
        loop = null;
      }
    }
  }

  @Override
  public final void restart() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException(this + " is closed and cannot restart");
      }
      if (loop == null) {
        loop = listen(port);
      }
    }
  }

  @Override
  public final void close() {
    synchronized (lifecycle) {
      closed = true;
      stop();
    }
  }

  @Override
  public String toString() {
    return kind + " upstream on " + host();
  }

  private Loop listen(int wantedPort) {
    ServerSocketChannel listener = null;
    Selector selector = null;
    try {
      listener = ServerSocketChannel.open();
      // Lets a restart bind the port again while connections of the killed host linger.
      listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      listener.bind(new InetSocketAddress(bindAddress, wantedPort), BACKLOG);
      listener.configureBlocking(false);
      selector = Selector.open();
      listener.register(selector, SelectionKey.OP_ACCEPT);
      Loop started = new Loop(selector, listener);
      started.thread.start();
      return started;
    } catch (IOException e) {
      closeQuietly(listener);
      closeQuietly(selector);
      String where = wantedPort == 0 ? "an ephemeral port" : "port " + wantedPort;
      throw new UncheckedIOException(kind + " upstream cannot listen on " + where + " of "
          + bindAddress.getHostAddress() + ": " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      log.debug("closing {} failed", closeable, e);
    }
  }

  private static InetAddress loopbackV4() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new AssertionError("a 4-byte address is always valid", e);
    }
  }

  /** One selector thread serving the listener and all its connections until stopped. */
  private final class Loop implements Runnable {

    final Selector selector;
    final ServerSocketChannel listener;
    final int port;
    final Thread thread;
    final ByteBuffer scratch = ByteBuffer.allocate(SCRATCH_SIZE);
    volatile boolean stopping;

    Loop(Selector selector, ServerSocketChannel listener) throws IOException {
      this.selector = selector;
      this.listener = listener;
      this.port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
      this.thread = new Thread(this, "lb4j-testkit-" + kind + "-" + port);
      this.thread.setDaemon(true);
    }

    @Override
    public void run() {
      try {
        while (!stopping) {
          selector.select();
          Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
          while (keys.hasNext()) {
            SelectionKey key = keys.next();
            keys.remove();
            dispatch(key);
          }
        }
      } catch (IOException | RuntimeException e) {
        log.warn("{} stopped serving after an unexpected failure", LoopbackServer.this, e);
      } finally {
        shutDown();
      }
    }

    private void dispatch(SelectionKey key) {
      if (!key.isValid()) {
        return;
      }
      Object attachment = key.attachment();
      if (attachment == null) {
        acceptAll();
        return;
      }
      Connection connection = (Connection) attachment;
      try {
        int ready = key.readyOps();
        if ((ready & SelectionKey.OP_READ) != 0) {
          connection.onReadable();
        }
        if ((ready & SelectionKey.OP_WRITE) != 0 && key.isValid()) {
          connection.onWritable();
        }
      } catch (IOException e) {
        // The client reset or vanished: ordinary in tests that kill connections on purpose.
        log.debug("{}: connection failed: {}", LoopbackServer.this, e.toString());
        connection.reset();
      } catch (RuntimeException e) {
        log.warn("{}: connection handler failed", LoopbackServer.this, e);
        connection.reset();
      }
    }

    private void acceptAll() {
      while (true) {
        SocketChannel channel;
        try {
          channel = listener.accept();
        } catch (IOException e) {
          log.warn("{}: accept failed", LoopbackServer.this, e);
          return;
        }
        if (channel == null) {
          return;
        }
        accepted.incrementAndGet();
        open.incrementAndGet();
        Connection connection = null;
        try {
          channel.configureBlocking(false);
          channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
          connection = newConnection(channel, scratch);
          connection.key = channel.register(selector, 0, connection);
          connection.onOpen();
        } catch (IOException | RuntimeException e) {
          log.debug("{}: could not set up an accepted connection", LoopbackServer.this, e);
          if (connection != null) {
            connection.reset();
          } else {
            open.decrementAndGet();
            closeQuietly(channel);
          }
        }
      }
    }

    private void shutDown() {
      closeQuietly(listener);
      for (SelectionKey key : selector.keys()) {
        if (key.attachment() instanceof Connection) {
          ((Connection) key.attachment()).reset();
        }
      }
      // Closing the selector deregisters the channels closed above, which is when the JDK
      // really closes their sockets (and sends the resets).
      closeQuietly(selector);
    }

    void stopAndJoin() {
      stopping = true;
      selector.wakeup();
      boolean interrupted = false;
      long deadline = System.nanoTime() + STOP_WAIT.toNanos();
      while (thread.isAlive()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(LoopbackServer.this + " did not stop within " + STOP_WAIT);
        }
        try {
          thread.join(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The server's side of one accepted connection. Runs on the loop thread only. Exactly one of
   * {@link #close()} or {@link #reset()} takes effect, and it is what takes the connection out of
   * the open count.
   */
  abstract class Connection {

    final SocketChannel channel;
    SelectionKey key;
    private boolean finished;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    /**
     * Called once the channel is registered (with no interest); sets interest or acts. By default
     * the connection waits to read, as most upstreams begin by reading.
     */
    void onOpen() throws IOException {
      interest(SelectionKey.OP_READ);
    }

    void onReadable() throws IOException {}

    void onWritable() throws IOException {}

    final void interest(int ops) {
      key.interestOps(ops);
    }

    /** Closes the socket in the ordinary way: FIN after what is already written. */
    final void close() {
      if (finished) {
        return;
      }
      finished = true;
      open.decrementAndGet();
      closeQuietly(channel);
    }

    /** Closes the socket with a reset (SO_LINGER 0), dropping whatever is unsent. */
    final void reset() {
      if (finished) {
        return;
      }
      try {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      } catch (IOException | RuntimeException e) {
        log.debug("{}: could not set SO_LINGER 0", LoopbackServer.this, e);
      }
      close();
    }
  }
}
