package io.lb4j.testkit.upstream;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Accepts and then does nothing: never reads, never writes. Since it never reads it cannot see a
 * client leave, so its connections stay open until it is stopped or closed.
 */
final class BlackHoleServer extends LoopbackServer {

  BlackHoleServer() {
    super("black-hole");
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    return new Connection(channel) {
      @Override
      void onOpen() {
        // Registered with no interest: kept only so that stop() finds and resets it.
      }
    };
  }
}
