package io.lb4j.impl.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SRV records read from whole DNS messages as Netty decodes them off the wire: an answer captured
 * from dnsmasq, and messages laid out byte by byte as RFC 1035 describes, with compressed names.
 */
class SrvRecordTest {

  /**
   * dnsmasq 2.90's answer to "_echo._tcp.lb4j.test SRV", with two records (t2 at priority 20,
   * weight 60, port 7002; t1 at priority 10, weight 5, port 7001, TTL 1) and the targets' A records
   * in the additional section, which point into the SRV records' data.
   */
  private static final String DNSMASQ_ANSWER =
      "123485800001000200000002055f6563686f045f746370046c62346a04746573740000210001c00c0021000100"
          + "00000100140014003c1b5a027432046c62346a047465737400c00c00210001000000010014000a00051b5902"
          + "7431046c62346a047465737400c058000100010000000100047f000001c038000100010000000100047f0000"
          + "02";

  private static List<SrvRecord> answers(byte[] message) {
    EmbeddedChannel channel = new EmbeddedChannel(new DatagramDnsResponseDecoder());
    InetSocketAddress server = new InetSocketAddress("127.0.0.1", 53);
    channel.writeInbound(
        new DatagramPacket(Unpooled.wrappedBuffer(message), new InetSocketAddress("127.0.0.1", 5353), server));
    DnsResponse response = channel.readInbound();
    try {
      List<SrvRecord> out = new ArrayList<>();
      for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
        DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
        out.add(SrvRecord.parse((DnsRawRecord) r));
      }
      return out;
    } finally {
      response.release();
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void readsDnsmasqsAnswerWithItsCompressedOwnerNames() {
    List<SrvRecord> records = answers(ByteBufUtil.decodeHexDump(DNSMASQ_ANSWER));

    assertThat(records)
        .containsExactly(
            new SrvRecord(20, 60, 7002, "t2.lb4j.test", 1),
            new SrvRecord(10, 5, 7001, "t1.lb4j.test", 1));
  }

  @Test
  void followsAPointerInTheTargetName() {
    Message m = new Message();
    int example = m.questionSrv("_api._tcp", "example.org");
    m.srvAnswer(10, 60, 8443, 30, w -> {
      w.label("api-1");
      w.pointer(example);
    });

    assertThat(answers(m.bytes())).containsExactly(new SrvRecord(10, 60, 8443, "api-1.example.org", 30));
  }

  @Test
  void followsAPointerToAPointer() {
    Message m = new Message();
    int example = m.questionSrv("_api._tcp", "example.org");
    int firstTarget = m.srvAnswer(1, 1, 1000, 5, w -> {
      w.label("a");
      w.pointer(example);
    });
    // The second target is "b." followed by the first target's name, itself ending in a pointer.
    m.srvAnswer(2, 3, 2000, 5, w -> {
      w.label("b");
      w.pointer(firstTarget);
    });

    assertThat(answers(m.bytes()))
        .extracting(SrvRecord::target)
        .containsExactly("a.example.org", "b.a.example.org");
  }

  @Test
  void rootTargetMeansTheServiceIsNotOffered() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    m.srvAnswer(0, 0, 0, 60, w -> {});

    SrvRecord record = answers(m.bytes()).get(0);
    assertThat(record.target()).isEqualTo(".");
    assertThat(record.notOffered()).isTrue();
  }

  @Test
  void refusesAPointerThatPointsForward() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    m.srvAnswer(1, 1, 1, 5, w -> w.pointer(w.position() + 10));

    assertThatThrownBy(() -> answers(m.bytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not point before itself");
  }

  @Test
  void refusesAPointerToItself() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    m.srvAnswer(1, 1, 1, 5, w -> w.pointer(w.position()));

    assertThatThrownBy(() -> answers(m.bytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not point before itself");
  }

  @Test
  void refusesANameThatRunsPastItsRecord() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    // A label of 40 bytes announced, 3 given, then the record ends.
    m.srvAnswer(1, 1, 1, 5, w -> w.raw(40, 'a', 'b', 'c'));

    assertThatThrownBy(() -> answers(m.bytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SRV record of _api._tcp.example.org. has a target name that runs past its data");
  }

  @Test
  void refusesDataTooShortForTheFixedFields() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    m.rawAnswer(33, new byte[] {0, 1, 0, 2});

    assertThatThrownBy(() -> answers(m.bytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has 4 bytes of data, fewer than the 7");
  }

  @Test
  void refusesBytesAfterTheTargetName() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    m.srvAnswer(1, 1, 1, 5, w -> {
      w.label("x");
      w.raw(0);
      w.raw(7);
    });

    assertThatThrownBy(() -> answers(m.bytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 bytes after its target name");
  }

  @Test
  void refusesAnUnknownLabelType() {
    Message m = new Message();
    m.questionSrv("_api._tcp", "example.org");
    m.srvAnswer(1, 1, 1, 5, w -> w.raw(0x41, 'x'));

    assertThatThrownBy(() -> answers(m.bytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown label type 0x40");
  }

  /**
   * A DNS response laid out byte by byte: a header, one question, then answers whose owner is a
   * pointer to the question's name. Counts in the header are patched as answers are added.
   */
  private static final class Message {
    private final ByteBuf buf = Unpooled.buffer();
    private int answers;

    Message() {
      buf.writeShort(0x1234); // id
      buf.writeShort(0x8580); // response, authoritative, recursion desired and available
      buf.writeShort(1).writeShort(0).writeShort(0).writeShort(0);
    }

    /** Writes the question "service.domain SRV IN"; returns the offset of the domain's labels. */
    int questionSrv(String service, String domain) {
      for (String label : service.split("\\.")) {
        new Writer(buf).label(label);
      }
      int domainAt = buf.writerIndex();
      for (String label : domain.split("\\.")) {
        new Writer(buf).label(label);
      }
      buf.writeByte(0);
      buf.writeShort(33).writeShort(1);
      return domainAt;
    }

    /** Writes an SRV answer; returns the offset of its target name. */
    int srvAnswer(int priority, int weight, int port, int ttl, java.util.function.Consumer<Writer> target) {
      int[] targetAt = new int[1];
      answer(33, ttl, () -> {
        buf.writeShort(priority).writeShort(weight).writeShort(port);
        targetAt[0] = buf.writerIndex();
        Writer w = new Writer(buf);
        target.accept(w);
        if (!w.ended) {
          buf.writeByte(0);
        }
      });
      return targetAt[0];
    }

    void rawAnswer(int type, byte[] data) {
      answer(type, 5, () -> buf.writeBytes(data));
    }

    private void answer(int type, int ttl, Runnable data) {
      buf.writeShort(0xC00C); // owner: the question's name, at offset 12
      buf.writeShort(type).writeShort(1).writeInt(ttl);
      int lengthAt = buf.writerIndex();
      buf.writeShort(0);
      data.run();
      buf.setShort(lengthAt, buf.writerIndex() - lengthAt - 2);
      buf.setShort(6, ++answers);
    }

    byte[] bytes() {
      return ByteBufUtil.getBytes(buf);
    }
  }

  /** Writes the labels of a name; a pointer ends it. */
  private static final class Writer {
    private final ByteBuf buf;
    boolean ended;

    Writer(ByteBuf buf) {
      this.buf = buf;
    }

    int position() {
      return buf.writerIndex();
    }

    void label(String label) {
      buf.writeByte(label.length());
      buf.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    void pointer(int offset) {
      buf.writeShort(0xC000 | offset);
      ended = true;
    }

    void raw(int... bytes) {
      for (int b : bytes) {
        buf.writeByte(b);
      }
      ended = true;
    }
  }
}
