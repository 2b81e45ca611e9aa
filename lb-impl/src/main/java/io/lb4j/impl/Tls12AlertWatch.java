package io.lb4j.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Keeps the JDK's engine from closing its output when a TLS 1.2 client half-closes.
 *
 * <p>The JDK's engine answers a TLS 1.2 close_notify with its own and closes its output (the duplex
 * close of RFC 5246 section 7.2.1), which would cut the host's reply to a client that only ended
 * its sending side; HAProxy, NGINX and lb4j on BoringSSL keep sending. So, ahead of the
 * {@link SslHandler}, this watch follows the client's TLS records by their five-byte headers and,
 * once a TLS 1.2 handshake is done, takes the first alert record as the client's end of input:
 * that record and anything after it never reach the engine, and {@link #CLIENT_ENDED} goes down
 * the pipeline after every record before it. An alert's description is encrypted, so a fatal
 * alert ends the client's input the same way; a client that sends one is gone anyway.
 *
 * <p>Records are passed on as they arrive, a header split between reads being the only thing
 * held back. Installed only for engines other than Netty's OpenSSL one (which {@link TlsHalfClose}
 * handles), and removed once a handshake settles on TLS 1.3, whose close_notify already ends
 * only the client's direction. Event-loop thread only.
 */
final class Tls12AlertWatch extends ByteToMessageDecoder {

  /** The user event that says a TLS 1.2 client ended its input with an alert. */
  static final Object CLIENT_ENDED =
      new Object() {
        @Override
        public String toString() {
          return "tls12-client-ended";
        }
      };

  private static final int HEADER = 5;
  private static final byte ALERT = 21;

  private final BooleanSupplier tls12Established;
  /** Bytes of the current record, header included, not yet passed on. */
  private int recordLeft;
  private boolean ended;

  /**
   * @param tls12Established tells, when an alert record arrives, whether a TLS 1.2 handshake is done
   */
  Tls12AlertWatch(BooleanSupplier tls12Established) {
    this.tls12Established = tls12Established;
  }

  /** A watch for the client side of {@code tls}. */
  static Tls12AlertWatch ahead(SslHandler tls) {
    return new Tls12AlertWatch(
        () ->
            tls.handshakeFuture().isSuccess()
                && "TLSv1.2".equals(tls.engine().getSession().getProtocol()));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (ended) {
      // RFC 8446 and 5246 alike: what comes after the close is ignored.
      in.skipBytes(in.readableBytes());
      return;
    }
    int start = in.readerIndex();
    int at = start;
    int end = in.writerIndex();
    while (at < end) {
      if (recordLeft > 0) {
        int span = Math.min(recordLeft, end - at);
        at += span;
        recordLeft -= span;
        continue;
      }
      if (end - at < HEADER) {
        break;
      }
      if (in.getByte(at) == ALERT) {
        if (at > start) {
          // Everything before the alert goes first, so the handshake state below is current.
          break;
        }
        if (tls12Established.getAsBoolean()) {
          ended = true;
          in.skipBytes(in.readableBytes());
          ctx.fireUserEventTriggered(CLIENT_ENDED);
          return;
        }
      }
      recordLeft = HEADER + in.getUnsignedShort(at + 3);
    }
    if (at > start) {
      out.add(in.readRetainedSlice(at - start));
    }
  }
}
