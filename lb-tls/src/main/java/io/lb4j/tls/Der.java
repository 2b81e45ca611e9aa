package io.lb4j.tls;

import java.io.ByteArrayOutputStream;

/**
 * The little DER this module needs to turn traditional (PKCS#1, SEC 1) private keys into PKCS#8:
 * reading tag-length-value elements and writing them back. Definite lengths only, as DER requires.
 */
final class Der {

  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int NULL = 0x05;
  static final int OID = 0x06;
  static final int SEQUENCE = 0x30;
  static final int CONTEXT_0 = 0xA0;

  private Der() {}

  /** One element: its tag, and where its value and the whole element lie in the input. */
  record Element(int tag, byte[] source, int start, int valueStart, int end) {
    byte[] value() {
      byte[] out = new byte[end - valueStart];
      System.arraycopy(source, valueStart, out, 0, out.length);
      return out;
    }

    byte[] encoded() {
      byte[] out = new byte[end - start];
      System.arraycopy(source, start, out, 0, out.length);
      return out;
    }

    Reader contents() {
      return new Reader(source, valueStart, end);
    }
  }

  /** Reads consecutive elements of one constructed value. */
  static final class Reader {
    private final byte[] source;
    private int position;
    private final int end;

    Reader(byte[] source) {
      this(source, 0, source.length);
    }

    private Reader(byte[] source, int position, int end) {
      this.source = source;
      this.position = position;
      this.end = end;
    }

    boolean hasMore() {
      return position < end;
    }

    /**
     * Reads the next element.
     *
     * @throws IllegalArgumentException if it is truncated, uses a long tag or an indefinite length
     */
    Element next() {
      int start = position;
      if (end - position < 2) {
        throw new IllegalArgumentException("truncated DER");
      }
      int tag = source[position++] & 0xFF;
      if ((tag & 0x1F) == 0x1F) {
        throw new IllegalArgumentException("unsupported DER tag");
      }
      int length = source[position++] & 0xFF;
      if (length > 0x7F) {
        int bytes = length & 0x7F;
        if (bytes == 0 || bytes > 3 || end - position < bytes) {
          throw new IllegalArgumentException("unsupported DER length");
        }
        length = 0;
        for (int i = 0; i < bytes; i++) {
          length = (length << 8) | (source[position++] & 0xFF);
        }
      }
      if (length > end - position) {
        throw new IllegalArgumentException("truncated DER");
      }
      int valueStart = position;
      position += length;
      return new Element(tag, source, start, valueStart, position);
    }

    /** Reads the next element and checks its tag. */
    Element next(int expectedTag) {
      Element element = next();
      if (element.tag() != expectedTag) {
        throw new IllegalArgumentException(
            String.format("expected DER tag 0x%02x but found 0x%02x", expectedTag, element.tag()));
      }
      return element;
    }
  }

  /** Encodes one element from its tag and the concatenation of the given contents. */
  static byte[] encode(int tag, byte[]... contents) {
    int length = 0;
    for (byte[] content : contents) {
      length += content.length;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else if (length < 0x10000) {
      out.write(0x82);
      out.write(length >>> 8);
      out.write(length);
    } else {
      out.write(0x83);
      out.write(length >>> 16);
      out.write(length >>> 8);
      out.write(length);
    }
    for (byte[] content : contents) {
      out.writeBytes(content);
    }
    return out.toByteArray();
  }

  /** Formats an object identifier's value bytes in dotted form, for messages. */
  static String oidToString(byte[] value) {
    StringBuilder out = new StringBuilder();
    long component = 0;
    boolean first = true;
    for (byte b : value) {
      component = (component << 7) | (b & 0x7F);
      if ((b & 0x80) == 0) {
        if (first) {
          int head = (int) Math.min(component / 40, 2);
          out.append(head).append('.').append(component - 40L * head);
          first = false;
        } else {
          out.append('.').append(component);
        }
        component = 0;
      }
    }
    return out.toString();
  }
}
