package io.lb4j.testkit.upstream;

import io.lb4j.api.Host;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback ports that refuse connections and stay that way: each is held by a socket that is
 * bound but never listens, so the kernel answers connects with a reset, and no later listener
 * (which binds without SO_REUSEPORT) can take the port.
 */
final class RefusingPorts {

  private static final List<SocketChannel> HELD = new ArrayList<>(); // guarded by the class

  private RefusingPorts() {}

  static synchronized Host reserve() {
    SocketChannel holder = null;
    try {
      holder = SocketChannel.open();
      holder.bind(new InetSocketAddress(LoopbackServer.LOOPBACK, 0));
      int port = ((InetSocketAddress) holder.getLocalAddress()).getPort();
      HELD.add(holder);
      return Host.of(LoopbackServer.LOOPBACK.getHostAddress(), port);
    } catch (IOException e) {
      if (holder != null) {
        try {
          holder.close();
        } catch (IOException ignored) {
          // Failed either way; the bind failure is what the caller needs to see.
        }
      }
      throw new UncheckedIOException("cannot reserve a refusing loopback port: " + e.getMessage(), e);
    }
  }
}
