package io.lb4j.testkit.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * A deterministic, endless, pseudo-random byte stream that both ends of a transfer can produce or
 * check without holding it, however long it is.
 *
 * <pre>{@code
 * byte[] chunk = new byte[65536];
 * TestData.fill(chunk, 0);                       // the stream's first 64 KiB
 * out.write(chunk);
 *
 * TestData.Checksum received = TestData.checksum();
 * received.update(in);                            // the peer reads to the end
 * assertThat(received.value()).isEqualTo(TestData.checksumOf(received.length()));
 * }</pre>
 *
 * <p>The byte at stream position {@code p} depends on {@code p} alone: a 64 KiB pseudo-random block
 * repeats, and every repetition is masked with a word derived from its index, so a lost, repeated
 * or reordered chunk changes the checksum. Checksums are CRC32C, so a running checksum of what was
 * received from position 0 equals {@link #checksumOf(long)} of its length exactly when the bytes are
 * the stream's. Generating is cheap (a gibibyte in a fraction of a second), so the stream may be
 * regenerated rather than buffered.
 *
 * <p>All static methods are thread-safe; a {@link Checksum} is not.
 */
public final class TestData {

  private static final int BLOCK_BITS = 16;
  private static final int BLOCK_SIZE = 1 << BLOCK_BITS;
  private static final int BLOCK_MASK = BLOCK_SIZE - 1;
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final byte[] BLOCK = randomBlock(); // after LONGS, which it uses

  private TestData() {}

  /**
   * Fills the whole of {@code buf} with the stream's bytes from position {@code streamOffset}.
   *
   * @param buf the destination, not null
   * @param streamOffset the stream position of {@code buf[0]}, not negative
   * @throws IllegalArgumentException if {@code streamOffset} is negative
   */
  public static void fill(byte[] buf, long streamOffset) {
    fill(buf, 0, buf.length, streamOffset);
  }

  /**
   * Fills {@code buf[off, off + len)} with the stream's bytes from position {@code streamOffset}.
   *
   * @param buf the destination, not null
   * @param off the first index written
   * @param len how many bytes to write
   * @param streamOffset the stream position of {@code buf[off]}, not negative
   * @throws IndexOutOfBoundsException if the range is not inside {@code buf}
   * @throws IllegalArgumentException if {@code streamOffset} is negative
   */
  public static void fill(byte[] buf, int off, int len, long streamOffset) {
    Objects.checkFromIndexSize(off, len, buf.length);
    checkOffset(streamOffset);
    int i = off;
    int end = off + len;
    long p = streamOffset;
    while (i < end && (p & 7) != 0) {
      buf[i++] = byteAt(p++);
    }
    // Whole 8-byte words: stream positions stay 8-aligned, so each word is one block word
    // masked with its block's mask.
    while (end - i >= 8) {
      int inBlock = (int) (p & BLOCK_MASK);
      int run = Math.min(BLOCK_SIZE - inBlock, (end - i) & ~7);
      long mask = blockMask(p >>> BLOCK_BITS);
      for (int k = 0; k < run; k += 8) {
        LONGS.set(buf, i + k, (long) LONGS.get(BLOCK, inBlock + k) ^ mask);
      }
      i += run;
      p += run;
    }
    while (i < end) {
      buf[i++] = byteAt(p++);
    }
  }

  /**
   * Fills the remaining space of {@code dst} with the stream's bytes from position
   * {@code streamOffset} and advances its position to its limit.
   *
   * @param dst the destination, heap or direct, not null
   * @param streamOffset the stream position of the first byte written, not negative
   * @throws IllegalArgumentException if {@code streamOffset} is negative
   * @throws java.nio.ReadOnlyBufferException if {@code dst} is read-only
   */
  public static void fill(ByteBuffer dst, long streamOffset) {
    checkOffset(streamOffset);
    if (dst.hasArray()) {
      int len = dst.remaining();
      fill(dst.array(), dst.arrayOffset() + dst.position(), len, streamOffset);
      dst.position(dst.limit());
      return;
    }
    byte[] chunk = new byte[Math.min(dst.remaining(), BLOCK_SIZE)];
    long p = streamOffset;
    while (dst.hasRemaining()) {
      int len = Math.min(dst.remaining(), chunk.length);
      fill(chunk, 0, len, p);
      dst.put(chunk, 0, len);
      p += len;
    }
  }

  /**
   * Returns the byte at stream position {@code position}.
   *
   * @param position the stream position, not negative
   * @return the byte there
   * @throws IllegalArgumentException if {@code position} is negative
   */
  public static byte byteAt(long position) {
    checkOffset(position);
    int shift = (int) (position & 7) * 8;
    return (byte) (BLOCK[(int) (position & BLOCK_MASK)] ^ (blockMask(position >>> BLOCK_BITS) >>> shift));
  }

  /**
   * Tells whether {@code buf[off, off + len)} holds exactly the stream's bytes from position
   * {@code streamOffset}.
   *
   * @param buf the bytes to check, not null
   * @param off the first index checked
   * @param len how many bytes to check
   * @param streamOffset the stream position {@code buf[off]} should have come from, not negative
   * @return true if every byte matches
   * @throws IndexOutOfBoundsException if the range is not inside {@code buf}
   * @throws IllegalArgumentException if {@code streamOffset} is negative
   */
  public static boolean matches(byte[] buf, int off, int len, long streamOffset) {
    Objects.checkFromIndexSize(off, len, buf.length);
    checkOffset(streamOffset);
    byte[] expected = new byte[Math.min(len, BLOCK_SIZE)];
    int done = 0;
    while (done < len) {
      int n = Math.min(len - done, expected.length);
      fill(expected, 0, n, streamOffset + done);
      if (!Arrays.equals(buf, off + done, off + done + n, expected, 0, n)) {
        return false;
      }
      done += n;
    }
    return true;
  }

  /**
   * Returns the CRC32C of the stream's first {@code length} bytes.
   *
   * @param length how many bytes, not negative
   * @return the checksum, as {@link Checksum#value()} would give it
   * @throws IllegalArgumentException if {@code length} is negative
   */
  public static long checksumOf(long length) {
    CRC32C crc = new CRC32C();
    try {
      write(new CheckedOutputStream(OutputStream.nullOutputStream(), crc), length);
    } catch (IOException e) {
      throw new IllegalStateException("a null output stream does not fail", e);
    }
    return crc.getValue();
  }

  /**
   * Writes the stream's first {@code length} bytes to {@code out}. Does not flush or close it.
   *
   * @param out where to write, not null
   * @param length how many bytes, not negative
   * @throws IOException if {@code out} throws
   * @throws IllegalArgumentException if {@code length} is negative
   */
  public static void write(OutputStream out, long length) throws IOException {
    if (length < 0) {
      throw new IllegalArgumentException("length must not be negative but was " + length);
    }
    byte[] chunk = new byte[(int) Math.min(BLOCK_SIZE, Math.max(length, 1))];
    long done = 0;
    while (done < length) {
      int n = (int) Math.min(length - done, chunk.length);
      fill(chunk, 0, n, done);
      out.write(chunk, 0, n);
      done += n;
    }
  }

  /**
   * Returns a new, empty running checksum.
   *
   * @return a checksum of length 0
   */
  public static Checksum checksum() {
    return new Checksum();
  }

  private static void checkOffset(long streamOffset) {
    if (streamOffset < 0) {
      throw new IllegalArgumentException("stream offset must not be negative but was " + streamOffset);
    }
  }

  private static long blockMask(long blockIndex) {
    return splitMix(blockIndex + 0x6c62346a5445535L);
  }

  // SplitMix64's finaliser: a bijection that spreads consecutive inputs over all 64 bits.
  private static long splitMix(long x) {
    long z = x * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static byte[] randomBlock() {
    byte[] block = new byte[BLOCK_SIZE];
    for (int i = 0; i < BLOCK_SIZE; i += 8) {
      LONGS.set(block, i, splitMix(i));
    }
    return block;
  }

  /**
   * A running CRC32C over bytes as they arrive, with the count of bytes seen.
   *
   * <pre>{@code
   * TestData.Checksum sum = TestData.checksum();
   * sum.update(buf, 0, n);
   * boolean intact = sum.value() == TestData.checksumOf(sum.length());
   * }</pre>
   *
   * <p>Not thread-safe: one reader updates it; share its {@link #value()} and {@link #length()}
   * through something that publishes safely.
   */
  public static final class Checksum {

    private final CRC32C crc = new CRC32C();
    private long length;

    private Checksum() {}

    /**
     * Adds {@code buf[off, off + len)}.
     *
     * @param buf the bytes, not null
     * @param off the first index
     * @param len how many bytes
     * @return this checksum
     * @throws IndexOutOfBoundsException if the range is not inside {@code buf}
     */
    public Checksum update(byte[] buf, int off, int len) {
      Objects.checkFromIndexSize(off, len, buf.length);
      crc.update(buf, off, len);
      length += len;
      return this;
    }

    /**
     * Adds the remaining bytes of {@code buf} and advances its position to its limit.
     *
     * @param buf the bytes, heap or direct, not null
     * @return this checksum
     */
    public Checksum update(ByteBuffer buf) {
      length += buf.remaining();
      crc.update(buf);
      return this;
    }

    /**
     * Reads {@code in} to its end, adding every byte. Does not close it.
     *
     * @param in the stream to drain, not null
     * @return this checksum
     * @throws IOException if reading fails
     */
    public Checksum update(InputStream in) throws IOException {
      byte[] chunk = new byte[BLOCK_SIZE];
      int n;
      while ((n = in.read(chunk)) >= 0) {
        update(chunk, 0, n);
      }
      return this;
    }

    /**
     * Returns the CRC32C of all bytes added so far.
     *
     * @return the checksum, from 0 to 2<sup>32</sup> - 1
     */
    public long value() {
      return crc.getValue();
    }

    /**
     * Returns how many bytes were added.
     *
     * @return the count, not negative
     */
    public long length() {
      return length;
    }

    /** Returns the length and the checksum in hexadecimal. */
    @Override
    public String toString() {
      return "Checksum[length=" + length + ", crc32c=" + Long.toHexString(value()) + "]";
    }
  }
}
