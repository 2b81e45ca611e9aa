package io.lb4j.bench.soak;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A generator of malformed TLS input for a TLS listener: random bytes, records with a valid header
 * and garbage inside, truncated and oversized records, and real ClientHellos captured from the
 * JDK's client with bits flipped, bytes mutated or length fields falsified.
 *
 * <pre>{@code
 * MalformedTls cases = new MalformedTls(seed);
 * for (int i = 0; i < 5000; i++) {
 *   MalformedTls.Case c = cases.get(i);   // the same seed and index give the same case
 *   // connect, write c.bytes(), then end as c.ending() says
 * }
 * }</pre>
 *
 * <p>A case depends on the seed and its index alone, so a failure is reproduced from the two
 * numbers {@link Case#toString()} prints. Thread-safe: {@link #get} keeps no state.
 */
public final class MalformedTls {

  private static final int MAX_PLAINTEXT = 1 << 14;
  private static final byte HANDSHAKE = 22;
  private static final byte[] INTERESTING = {0x00, 0x01, 0x7f, (byte) 0x80, (byte) 0xff};

  /** The kinds of malformed input. */
  public enum Family {
    /** Bytes drawn at random, of any length up to a few KiB (rarely far more). */
    RANDOM_BYTES,
    /** A handshake record header that is right, and a body of random bytes. */
    GARBAGE_RECORD,
    /** A record or handshake message that declares more than TLS allows. */
    OVERSIZED_LENGTH,
    /** A real ClientHello cut short anywhere. */
    TRUNCATED_HELLO,
    /** A real ClientHello with 1 to 16 bits flipped. */
    BIT_FLIPPED_HELLO,
    /** A real ClientHello with bytes set to edge values, inserted, removed or repeated. */
    MUTATED_HELLO,
    /** A real ClientHello with one of its length fields falsified. */
    WRONG_LENGTH_FIELD,
    /** A record of a content type that cannot open a connection, or no known type at all. */
    WRONG_CONTENT_TYPE,
    /** A real ClientHello split over many small records, one of them mutated (or none). */
    FRAGMENTED_HELLO,
    /** Many records of length zero, which TLS forbids for handshake records. */
    EMPTY_RECORDS,
    /** An SSL 2.0 style hello, which neither TLS 1.2 nor 1.3 accepts. */
    SSL2_HELLO,
    /** A real ClientHello followed by records of garbage. */
    HELLO_THEN_GARBAGE
  }

  /** What the client does once it has written a case's bytes. */
  public enum Ending {
    /** Shuts its output (FIN) and reads until the server closes. */
    FIN,
    /** Resets the connection (SO_LINGER 0). */
    RESET,
    /** Sends nothing more and reads until the server closes, by the handshake timeout at worst. */
    WAIT
  }

  /**
   * One case.
   *
   * @param seed the generator's seed
   * @param index the case's index
   * @param family what kind of input it is
   * @param ending what the client does after writing it
   * @param bytes what the client writes
   */
  public record Case(long seed, int index, Family family, Ending ending, byte[] bytes) {

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

    /** Returns how many bytes the case writes. */
    public int length() {
      return bytes.length;
    }

    /** Names the case by seed and index, and shows its first bytes. */
    @Override
    public String toString() {
      return "case " + index + " of seed " + seed + " (" + family + ", " + ending + ", "
          + bytes.length + " bytes: " + HexFormat.of().formatHex(bytes, 0, Math.min(24, bytes.length))
          + (bytes.length > 24 ? "..." : "") + ")";
    }
  }

  private final long seed;
  private final List<byte[]> hellos;

  /**
   * Makes a generator.
   *
   * @param seed chooses the cases; the same seed always gives the same cases
   */
  public MalformedTls(long seed) {
    this.seed = seed;
    this.hellos = ClientHellos.all();
  }

  /**
   * Returns the real ClientHello records the cases are made from: the running JDK's, for TLS 1.3
   * and 1.2, with and without SNI. Each a copy.
   */
  public static List<byte[]> realClientHellos() {
    return ClientHellos.all().stream().map(byte[]::clone).toList();
  }

  /** Returns the seed. */
  public long seed() {
    return seed;
  }

  /**
   * Returns case {@code index}.
   *
   * @param index any non-negative number
   * @return the case, the same for the same seed and index
   */
  public Case get(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("index must not be negative but was " + index);
    }
    Random random = Seeds.random(seed, index);
    Family[] families = Family.values();
    Family family = families[random.nextInt(families.length)];
    // Most cases end with a FIN, which lb4j must notice; a few wait out the handshake timeout,
    // which is slow and needs only a sample.
    int e = random.nextInt(20);
    Ending ending = e < 17 ? Ending.FIN : e < 19 ? Ending.RESET : Ending.WAIT;
    return new Case(seed, index, family, ending, bytes(family, random));
  }

  private byte[] bytes(Family family, Random random) {
    byte[] hello = hellos.get(random.nextInt(hellos.size()));
    switch (family) {
      case RANDOM_BYTES:
        return randomBytes(random, random.nextInt(50) == 0 ? 256 * 1024 : 1 + random.nextInt(4096));
      case GARBAGE_RECORD:
        return garbageRecord(random);
      case OVERSIZED_LENGTH:
        return oversized(random, hello);
      case TRUNCATED_HELLO:
        return Arrays.copyOf(hello, 1 + random.nextInt(hello.length - 1));
      case BIT_FLIPPED_HELLO:
        return flipBits(random, hello.clone());
      case MUTATED_HELLO:
        return mutateBytes(random, hello);
      case WRONG_LENGTH_FIELD:
        return wrongLength(random, hello.clone());
      case WRONG_CONTENT_TYPE:
        return wrongContentType(random, hello);
      case FRAGMENTED_HELLO:
        return fragmented(random, hello);
      case EMPTY_RECORDS:
        return emptyRecords(random, hello);
      case SSL2_HELLO:
        return ssl2Hello(random);
      case HELLO_THEN_GARBAGE:
        return helloThenGarbage(random, hello);
      default:
        throw new AssertionError(family);
    }
  }

  private static byte[] randomBytes(Random random, int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  private static byte[] record(int type, int minor, int length, byte[] body) {
    byte[] r = new byte[5 + body.length];
    r[0] = (byte) type;
    r[1] = 3;
    r[2] = (byte) minor;
    r[3] = (byte) (length >>> 8);
    r[4] = (byte) length;
    System.arraycopy(body, 0, r, 5, body.length);
    return r;
  }

  private static int version(Random random) {
    return random.nextBoolean() ? 1 : 3;
  }

  private static byte[] garbageRecord(Random random) {
    int length = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(MAX_PLAINTEXT + 256);
    byte[] body = randomBytes(random, length);
    if (length > 0 && random.nextBoolean()) {
      body[0] = 1; // claims to be a ClientHello
    }
    return record(HANDSHAKE, version(random), length, body);
  }

  private static byte[] oversized(Random random, byte[] hello) {
    int[] lengths = {MAX_PLAINTEXT + 1, MAX_PLAINTEXT + 256, MAX_PLAINTEXT + 2048,
        MAX_PLAINTEXT + 2049, 0xffff};
    if (random.nextBoolean()) {
      // The record header lies; what follows is shorter or garbage.
      int declared = lengths[random.nextInt(lengths.length)];
      byte[] body = random.nextBoolean()
          ? Arrays.copyOfRange(hello, 5, hello.length)
          : randomBytes(random, random.nextInt(Math.min(declared, 8192)));
      return record(HANDSHAKE, version(random), declared, body);
    }
    // The handshake message inside a valid record claims more than any record can carry.
    byte[] mutated = hello.clone();
    int declared = random.nextBoolean() ? 0xffffff : MAX_PLAINTEXT + 1 + random.nextInt(1 << 20);
    mutated[6] = (byte) (declared >>> 16);
    mutated[7] = (byte) (declared >>> 8);
    mutated[8] = (byte) declared;
    return mutated;
  }

  private static byte[] flipBits(Random random, byte[] b) {
    int flips = 1 + random.nextInt(16);
    for (int i = 0; i < flips; i++) {
      // Half of the flips land in the headers and the first fields, where parsers branch most.
      int at = random.nextBoolean() ? random.nextInt(Math.min(64, b.length)) : random.nextInt(b.length);
      b[at] ^= (byte) (1 << random.nextInt(8));
    }
    return b;
  }

  private static byte[] mutateBytes(Random random, byte[] hello) {
    List<Byte> b = new ArrayList<>(hello.length + 16);
    for (byte x : hello) {
      b.add(x);
    }
    int operations = 1 + random.nextInt(8);
    for (int i = 0; i < operations && !b.isEmpty(); i++) {
      int at = random.nextInt(b.size());
      switch (random.nextInt(4)) {
        case 0 -> b.set(at, INTERESTING[random.nextInt(INTERESTING.length)]);
        case 1 -> b.add(at, (byte) random.nextInt(256));
        case 2 -> b.remove(at);
        default -> {
          int length = Math.min(1 + random.nextInt(32), b.size() - at);
          b.addAll(at, new ArrayList<>(b.subList(at, at + length)));
        }
      }
    }
    byte[] out = new byte[b.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.get(i);
    }
    return out;
  }

  /** A length field of a ClientHello record: where it starts and how many bytes it has. */
  private record Field(int offset, int width) {}

  // Reads the ClientHello's structure (RFC 8446 section 4.1.2) for the offsets of its lengths.
  private static List<Field> lengthFields(byte[] h) {
    List<Field> fields = new ArrayList<>();
    fields.add(new Field(3, 2)); // record
    fields.add(new Field(6, 3)); // handshake message
    int p = 9 + 2 + 32;
    fields.add(new Field(p, 1)); // legacy_session_id
    p += 1 + (h[p] & 0xff);
    fields.add(new Field(p, 2)); // cipher_suites
    p += 2 + u16(h, p);
    fields.add(new Field(p, 1)); // legacy_compression_methods
    p += 1 + (h[p] & 0xff);
    if (p + 2 > h.length) {
      return fields;
    }
    fields.add(new Field(p, 2)); // extensions
    p += 2;
    while (p + 4 <= h.length) {
      fields.add(new Field(p + 2, 2)); // one extension
      p += 4 + u16(h, p + 2);
    }
    return fields;
  }

  private static int u16(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }

  private static byte[] wrongLength(Random random, byte[] h) {
    List<Field> fields = lengthFields(h);
    Field f = fields.get(random.nextInt(fields.size()));
    long actual = 0;
    for (int i = 0; i < f.width; i++) {
      actual = (actual << 8) | (h[f.offset + i] & 0xff);
    }
    long max = (1L << (8 * f.width)) - 1;
    long[] choices = {0, 1, actual - 1, actual + 1, max, max - 1, actual * 2};
    long value = Math.floorMod(choices[random.nextInt(choices.length)], max + 1);
    for (int i = f.width - 1; i >= 0; i--) {
      h[f.offset + i] = (byte) value;
      value >>>= 8;
    }
    return h;
  }

  private static byte[] wrongContentType(Random random, byte[] hello) {
    int[] types = {0, 20, 21, 23, 24, 25, 0x7f, 0x80, 0xff};
    int type = types[random.nextInt(types.length)];
    byte[] body = random.nextBoolean()
        ? Arrays.copyOfRange(hello, 5, hello.length)
        : randomBytes(random, random.nextInt(512));
    return record(type, version(random), body.length, body);
  }

  private static byte[] fragmented(Random random, byte[] hello) {
    byte[] message = Arrays.copyOfRange(hello, 5, hello.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<int[]> bounds = new ArrayList<>();
    int p = 0;
    while (p < message.length) {
      int n = Math.min(message.length - p, 1 + random.nextInt(64));
      bounds.add(new int[] {p, n});
      p += n;
    }
    int mutated = random.nextInt(4) == 0 ? -1 : random.nextInt(bounds.size());
    for (int i = 0; i < bounds.size(); i++) {
      byte[] body = Arrays.copyOfRange(message, bounds.get(i)[0], bounds.get(i)[0] + bounds.get(i)[1]);
      if (i == mutated) {
        body[random.nextInt(body.length)] ^= (byte) (1 + random.nextInt(255));
      }
      out.writeBytes(record(HANDSHAKE, hello[2], body.length, body));
    }
    return out.toByteArray();
  }

  private static byte[] emptyRecords(Random random, byte[] hello) {
    int count = 1 + random.nextInt(2000);
    int type = random.nextBoolean() ? HANDSHAKE : 23;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < count; i++) {
      out.writeBytes(record(type, version(random), 0, new byte[0]));
    }
    if (random.nextBoolean()) {
      out.writeBytes(hello);
    }
    return out.toByteArray();
  }

  private static byte[] ssl2Hello(Random random) {
    // SSL 2.0 CLIENT-HELLO: two-byte length with the top bit set, message type 1, version, then
    // cipher-spec, session-id and challenge lengths, then the data.
    int specs = 3 * (1 + random.nextInt(20));
    int challenge = 16 + random.nextInt(17);
    byte[] body = new byte[9 + specs + challenge];
    body[0] = 1;
    body[1] = 3;
    body[2] = (byte) version(random);
    body[3] = (byte) (specs >>> 8);
    body[4] = (byte) specs;
    body[7] = 0;
    body[8] = (byte) challenge;
    byte[] rest = randomBytes(random, specs + challenge);
    System.arraycopy(rest, 0, body, 9, rest.length);
    if (random.nextInt(4) == 0) {
      body[random.nextInt(body.length)] ^= (byte) 0xff;
    }
    byte[] out = new byte[2 + body.length];
    out[0] = (byte) (0x80 | (body.length >>> 8));
    out[1] = (byte) body.length;
    System.arraycopy(body, 0, out, 2, body.length);
    return out;
  }

  private static byte[] helloThenGarbage(Random random, byte[] hello) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(hello);
    int records = 1 + random.nextInt(4);
    int[] types = {HANDSHAKE, 20, 21, 23};
    for (int i = 0; i < records; i++) {
      byte[] body = randomBytes(random, random.nextInt(2048));
      out.writeBytes(record(types[random.nextInt(types.length)], 3, body.length, body));
    }
    return out.toByteArray();
  }
}
