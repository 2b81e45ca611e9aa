package io.lb4j.impl.discovery;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.dns.DnsRawRecord;

/**
 * One DNS SRV record (RFC 2782): a host of a service, its port, and the priority and weight that
 * say which hosts to use and how much. Netty hands SRV answers over as raw records; this is the
 * one place that reads them.
 *
 * @param priority lower is preferred: only the lowest priority group with reachable hosts is used
 * @param weight the share of a host within its priority group, from 0 to 65535
 * @param port the TCP port of the service on the target
 * @param target the host's name without the trailing dot, or "." when the record says the service
 *     is not offered at this name
 * @param ttl seconds the record may be kept
 */
record SrvRecord(int priority, int weight, int port, String target, long ttl) {

  /** RFC 1035's limit on a name's length in its wire form. */
  private static final int MAX_NAME_LENGTH = 255;

  /** Returns whether the record says the service is not offered (its target is the root). */
  boolean notOffered() {
    return target.equals(".");
  }

  /**
   * Reads an SRV record's data: priority, weight and port, then the target's name. The name may be
   * compressed (RFC 1035 section 4.1.4): a pointer to a name earlier in the message, which Netty's
   * raw record can follow because its buffer is a view of the whole message, indexed from its
   * first byte, with the record's data between the reader and writer index.
   *
   * @param record an SRV record as Netty decoded it
   * @return the record
   * @throws IllegalArgumentException if the data is malformed: too short, a name that runs past
   *     its record, a pointer that does not point backwards (which also stops pointer loops), an
   *     unknown label type, bytes after the name, or a name longer than 255 bytes
   */
  static SrvRecord parse(DnsRawRecord record) {
    ByteBuf data = record.content();
    int start = data.readerIndex();
    int end = data.writerIndex();
    String owner = record.name();
    if (end - start < 7) {
      throw malformed(owner, "has " + (end - start) + " bytes of data, fewer than the 7 of the smallest");
    }
    int priority = data.getUnsignedShort(start);
    int weight = data.getUnsignedShort(start + 2);
    int port = data.getUnsignedShort(start + 4);
    String target = readName(data, start + 6, end, owner);
    return new SrvRecord(priority, weight, port, target, record.timeToLive());
  }

  /**
   * Reads a name that starts at {@code at} and must end exactly at {@code end}, following
   * pointers. Each pointer must point before itself, and what follows it must stay before it too,
   * so every jump shrinks the readable range and a loop cannot go on.
   */
  private static String readName(ByteBuf message, int at, int end, String owner) {
    StringBuilder name = new StringBuilder();
    int pos = at;
    int bound = end;
    int consumedTo = -1;
    int wireLength = 0;
    while (true) {
      if (pos >= bound) {
        throw malformed(owner, "has a target name that runs past its data");
      }
      int len = message.getUnsignedByte(pos);
      if (len == 0) {
        if (consumedTo < 0) {
          consumedTo = pos + 1;
        }
        break;
      }
      int kind = len & 0xC0;
      if (kind == 0xC0) {
        if (pos + 1 >= bound) {
          throw malformed(owner, "has a target name cut inside a pointer");
        }
        int target = ((len & 0x3F) << 8) | message.getUnsignedByte(pos + 1);
        if (target >= pos) {
          throw malformed(owner, "has a target name whose pointer to offset " + target
              + " does not point before itself (offset " + pos + ")");
        }
        if (consumedTo < 0) {
          consumedTo = pos + 2;
        }
        bound = pos;
        pos = target;
        continue;
      }
      if (kind != 0) {
        throw malformed(owner, "has a target name with an unknown label type 0x"
            + Integer.toHexString(kind));
      }
      if (pos + 1 + len > bound) {
        throw malformed(owner, "has a target name that runs past its data");
      }
      wireLength += len + 1;
      if (wireLength + 1 > MAX_NAME_LENGTH) {
        throw malformed(owner, "has a target name longer than " + MAX_NAME_LENGTH + " bytes");
      }
      if (name.length() > 0) {
        name.append('.');
      }
      for (int i = 0; i < len; i++) {
        name.append((char) message.getUnsignedByte(pos + 1 + i));
      }
      pos += 1 + len;
    }
    if (consumedTo != end) {
      throw malformed(owner, "has " + (end - consumedTo) + " bytes after its target name");
    }
    return name.length() == 0 ? "." : name.toString();
  }

  private static IllegalArgumentException malformed(String owner, String problem) {
    return new IllegalArgumentException("SRV record of " + owner + " " + problem);
  }
}
