package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The TLS 1.2 alert watch passes records through unchanged and whole, split however the reads
 * split them, and stops at the first alert record once a TLS 1.2 handshake is done.
 */
class Tls12AlertWatchTest {

  private static final byte HANDSHAKE = 22;
  private static final byte ALERT = 21;
  private static final byte DATA = 23;

  private final AtomicBoolean established = new AtomicBoolean();
  private final ByteArrayOutputStream passed = new ByteArrayOutputStream();
  private final List<Object> events = new ArrayList<>();
  /** How many bytes had passed when each event arrived. */
  private final List<Integer> passedAtEvent = new ArrayList<>();
  private final EmbeddedChannel channel =
      new EmbeddedChannel(
          new Tls12AlertWatch(established::get),
          new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              ByteBuf buf = (ByteBuf) msg;
              byte[] bytes = new byte[buf.readableBytes()];
              buf.readBytes(bytes);
              buf.release();
              passed.writeBytes(bytes);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
              events.add(evt);
              passedAtEvent.add(passed.size());
            }
          });

  private static byte[] record(byte type, int length) {
    byte[] record = new byte[5 + length];
    record[0] = type;
    record[1] = 3;
    record[2] = 3;
    record[3] = (byte) (length >> 8);
    record[4] = (byte) length;
    for (int i = 5; i < record.length; i++) {
      record[i] = (byte) (i * 7);
    }
    return record;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private void writeInPieces(byte[] bytes, int... cuts) {
    int from = 0;
    for (int cut : cuts) {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, from, cut - from));
      from = cut;
    }
    channel.writeInbound(Unpooled.wrappedBuffer(bytes, from, bytes.length - from));
  }

  @Test
  void passesAnAlertDuringTheHandshakeToTheEngine() {
    byte[] stream = concat(record(HANDSHAKE, 40), record(ALERT, 2));

    channel.writeInbound(Unpooled.wrappedBuffer(stream));

    assertThat(passed.toByteArray()).isEqualTo(stream);
    assertThat(events).isEmpty();
  }

  @Test
  void endsTheClientsInputAtTheFirstAlertAfterTheHandshakeAndDropsTheRest() {
    established.set(true);
    byte[] before = concat(record(DATA, 3000), record(DATA, 10));
    byte[] stream = concat(before, record(ALERT, 26), record(DATA, 50));

    channel.writeInbound(Unpooled.wrappedBuffer(stream));

    assertThat(passed.toByteArray()).isEqualTo(before);
    assertThat(events).containsExactly(Tls12AlertWatch.CLIENT_ENDED);
    assertThat(passedAtEvent).as("every record before the alert went first").containsExactly(before.length);
    channel.writeInbound(Unpooled.wrappedBuffer(record(DATA, 20)));
    assertThat(passed.toByteArray()).as("nothing after the alert").isEqualTo(before);
  }

  @Test
  void findsTheAlertWhateverTheReadsSplit() {
    established.set(true);
    byte[] before = concat(record(DATA, 100), record(DATA, 7));
    byte[] stream = concat(before, record(ALERT, 26));

    // Cuts inside a body, inside the second header, and inside the alert's header.
    writeInPieces(stream, 50, 106, 107, before.length + 2);

    assertThat(passed.toByteArray()).isEqualTo(before);
    assertThat(events).containsExactly(Tls12AlertWatch.CLIENT_ENDED);
  }

  @Test
  void passesEveryByteOfDataOnlyStreamsSplitAnywhere() {
    established.set(true);
    byte[] stream = concat(record(DATA, 16_384), record(DATA, 1), record(DATA, 0), record(DATA, 300));
    for (int cut = 1; cut < stream.length; cut += 997) {
      passed.reset();
      writeInPieces(stream, cut);
      assertThat(passed.toByteArray()).as("cut at %d", cut).isEqualTo(stream);
    }
    assertThat(events).isEmpty();
  }

  @Test
  void anAlertBehindTheClientsFinishedInOneReadIsSeenOnceTheHandshakeIsDone() {
    // The handshake completes while the records before the alert are processed downstream.
    EmbeddedChannel finishing =
        new EmbeddedChannel(
            new Tls12AlertWatch(established::get),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ((ByteBuf) msg).release();
                established.set(true);
              }

              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
              }
            });

    finishing.writeInbound(Unpooled.wrappedBuffer(concat(record(HANDSHAKE, 40), record(ALERT, 26))));

    assertThat(events).containsExactly(Tls12AlertWatch.CLIENT_ENDED);
    finishing.finishAndReleaseAll();
  }
}
