package io.lb4j.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The one thing a load-generator connection may say to a {@link BenchHosts} host before its data:
 * eight bytes that turn the connection from echo (the default) into a sink or a source.
 *
 * <p>The proxy in between forwards bytes without looking at them, so the greeting crosses it like
 * any data. A connection that starts with anything else is echoed from its first byte, which is
 * why every echo-based measure also works against any plain echo host (such as the reference
 * server's demo hosts). Only a client whose data starts with a prefix of a greeting and then waits
 * would stall; the load generator's echo data never starts with {@code 'L'}.
 */
enum HostGreeting {
  /** The host reads and discards everything: for upload throughput. */
  SINK("LB4J-UP\n"),
  /** The host writes as fast as it can until the client leaves: for download throughput. */
  SOURCE("LB4J-DN\n");

  static final int LENGTH = 8;

  private final byte[] bytes;

  HostGreeting(String text) {
    this.bytes = text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Returns a new buffer holding the greeting, for one write. */
  ByteBuf buffer() {
    return Unpooled.wrappedBuffer(bytes.clone());
  }

  byte byteAt(int index) {
    return bytes[index];
  }
}
