package io.lb4j.bench.soak;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A generator of starts of connections that are no valid PROXY protocol header, for a listener
 * that accepts the PROXY protocol: broken v1 lines, v2 headers with a bad version, command, family
 * or length, oversized and truncated headers, headers dribbled too slowly, a TLS ClientHello with no
 * header, and a valid header for a transport lb4j does not take (UDP). Each must be refused.
 *
 * <pre>{@code
 * MalformedProxy cases = new MalformedProxy(seed);
 * MalformedProxy.Case c = cases.get(i);   // the same seed and index give the same case
 * }</pre>
 *
 * <p>Thread-safe: {@link #get} keeps no state.
 */
public final class MalformedProxy {

  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  /** The kinds of bad headers. */
  public enum Family {
    /** A v1 line with one field made invalid (address, port, protocol, count of fields). */
    V1_BAD_FIELD,
    /** "PROXY " and more than the 107 bytes a v1 line may have, without its end. */
    V1_TOO_LONG,
    /** The v2 signature, then a version other than 2. */
    V2_BAD_VERSION,
    /** Version 2 with a command other than LOCAL and PROXY. */
    V2_BAD_COMMAND,
    /** Version 2 with an unknown address family or transport. */
    V2_BAD_FAMILY,
    /** Version 2 whose address length is shorter than its family's addresses. */
    V2_SHORT_ADDRESSES,
    /** Version 2 announcing far more TLV bytes than lb4j takes, and sending them. */
    V2_OVERSIZED,
    /** A valid v2 header for UDP, which a TCP listener refuses. */
    V2_UDP,
    /** A valid v1 or v2 header cut short, then FIN. */
    TRUNCATED,
    /** A valid header's first bytes, then nothing until lb4j gives up (the handshake timeout). */
    DRIBBLED,
    /** A real TLS ClientHello where the header should be. */
    TLS_WITHOUT_HEADER
  }

  /**
   * One case.
   *
   * @param seed the generator's seed
   * @param index the case's index
   * @param family what kind of bad header it is
   * @param ending what the client does after writing it
   * @param bytes what the client writes
   */
  public record Case(long seed, int index, Family family, MalformedTls.Ending ending, byte[] bytes) {

    /** Checks the parts and copies the bytes. */
    public Case {
      Objects.requireNonNull(family, "family");
      Objects.requireNonNull(ending, "ending");
      bytes = bytes.clone();
    }

    /** Returns the bytes; a copy. */
    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    /** Names the case by seed and index, and shows its first bytes. */
    @Override
    public String toString() {
      return "case " + index + " of seed " + seed + " (" + family + ", " + ending + ", "
          + bytes.length + " bytes: "
          + HexFormat.of().formatHex(bytes, 0, Math.min(32, bytes.length))
          + (bytes.length > 32 ? "..." : "") + ")";
    }
  }

  private final long seed;
  private final List<byte[]> hellos;

  /**
   * Makes a generator.
   *
   * @param seed chooses the cases; the same seed always gives the same cases
   */
  public MalformedProxy(long seed) {
    this.seed = seed;
    this.hellos = ClientHellos.all();
  }

  /**
   * Returns case {@code index}: the families take turns, the details come from the seed.
   *
   * @param index any non-negative number
   * @return the case, the same for the same seed and index
   */
  public Case get(int index) {
    Random random = Seeds.random(seed, index);
    Family family = Family.values()[index % Family.values().length];
    MalformedTls.Ending ending =
        random.nextBoolean() ? MalformedTls.Ending.FIN : MalformedTls.Ending.WAIT;
    byte[] bytes =
        switch (family) {
          case V1_BAD_FIELD -> v1BadField(random);
          case V1_TOO_LONG -> v1TooLong(random);
          case V2_BAD_VERSION -> {
            byte[] b = v2Tcp4(random);
            int version = random.nextInt(15);
            b[12] = (byte) (((version >= 2 ? version + 1 : version) << 4) | 0x1);
            yield b;
          }
          case V2_BAD_COMMAND -> {
            byte[] b = v2Tcp4(random);
            b[12] = (byte) (0x20 | (2 + random.nextInt(14)));
            yield b;
          }
          case V2_BAD_FAMILY -> {
            byte[] b = v2Tcp4(random);
            b[13] =
                random.nextBoolean()
                    ? (byte) (((4 + random.nextInt(12)) << 4) | 0x1)
                    : (byte) (0x10 | (3 + random.nextInt(13)));
            yield b;
          }
          case V2_SHORT_ADDRESSES -> {
            byte[] b = v2Tcp4(random);
            int length = random.nextInt(12);
            b[14] = 0;
            b[15] = (byte) length;
            yield Arrays.copyOf(b, 16 + length);
          }
          case V2_OVERSIZED -> {
            byte[] b = v2Tcp4(random);
            int announced = 5000 + random.nextInt(65535 - 5000);
            b[14] = (byte) (announced >> 8);
            b[15] = (byte) announced;
            byte[] body = new byte[Math.min(announced, 16 + random.nextInt(16 * 1024))];
            random.nextBytes(body);
            byte[] all = Arrays.copyOf(b, 16 + body.length);
            System.arraycopy(body, 0, all, 16, body.length);
            yield all;
          }
          case V2_UDP -> {
            byte[] b = v2Tcp4(random);
            b[13] = 0x12;
            yield b;
          }
          case TRUNCATED -> {
            ending = MalformedTls.Ending.FIN;
            byte[] whole = random.nextBoolean() ? v2Tcp4(random) : v1(random);
            yield Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1));
          }
          case DRIBBLED -> {
            ending = MalformedTls.Ending.WAIT;
            byte[] whole = random.nextBoolean() ? v2Tcp4(random) : v1(random);
            yield Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1));
          }
          case TLS_WITHOUT_HEADER -> hellos.get(random.nextInt(hellos.size())).clone();
        };
    return new Case(seed, index, family, ending, bytes);
  }

  private static byte[] v1(Random random) {
    return ("PROXY TCP4 " + ip4(random) + " " + ip4(random) + " " + (1 + random.nextInt(65535))
            + " " + (1 + random.nextInt(65535)) + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] v1BadField(Random random) {
    String src = ip4(random);
    String dst = ip4(random);
    String sp = Integer.toString(1 + random.nextInt(65535));
    String dp = Integer.toString(1 + random.nextInt(65535));
    String line =
        switch (random.nextInt(6)) {
          case 0 -> "PROXY TCP4 " + (256 + random.nextInt(700)) + ".0.0.1 " + dst + " " + sp + " " + dp;
          case 1 -> "PROXY TCP4 " + src + " " + dst + " " + (65536 + random.nextInt(100000)) + " " + dp;
          case 2 -> "PROXY TCP5 " + src + " " + dst + " " + sp + " " + dp;
          case 3 -> "PROXY TCP4 " + src + " " + dst + " " + sp;
          case 4 -> "PROXY TCP6 " + src + " " + dst + " " + sp + " " + dp;
          default -> "PROXX TCP4 " + src + " " + dst + " " + sp + " " + dp;
        };
    return (line + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] v1TooLong(Random random) {
    byte[] b = new byte[110 + random.nextInt(400)];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) ('0' + random.nextInt(10));
    }
    System.arraycopy("PROXY ".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 6);
    return b;
  }

  private static byte[] v2Tcp4(Random random) {
    ByteBuffer b = ByteBuffer.allocate(28);
    b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
    byte[] addresses = new byte[8];
    random.nextBytes(addresses);
    b.put(addresses).putShort((short) (1 + random.nextInt(65535))).putShort((short) 443);
    return b.array();
  }

  private static String ip4(Random random) {
    return (1 + random.nextInt(223)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
        + (1 + random.nextInt(254));
  }
}
