package io.lb4j.testkit.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class TestDataTest {

  private static final int BLOCK = 65536;

  @Test
  void fillDependsOnlyOnTheStreamPosition() {
    byte[] whole = new byte[3 * BLOCK + 100];
    TestData.fill(whole, 0);

    for (int offset : new int[] {0, 1, 7, 8, 13, BLOCK - 3, BLOCK, 2 * BLOCK + 5}) {
      byte[] part = new byte[BLOCK + 11];
      TestData.fill(part, offset);

      assertThat(part).as("at %d", offset)
          .isEqualTo(Arrays.copyOfRange(whole, offset, offset + part.length));
    }
  }

  @Test
  void fillWritesOnlyTheGivenRange() {
    byte[] buf = new byte[40];
    Arrays.fill(buf, (byte) 0x55);

    TestData.fill(buf, 3, 30, 1000);

    assertThat(Arrays.copyOfRange(buf, 0, 3)).containsOnly(0x55);
    assertThat(Arrays.copyOfRange(buf, 33, 40)).containsOnly(0x55);
    assertThat(TestData.matches(buf, 3, 30, 1000)).isTrue();
  }

  @Test
  void byteAtAgreesWithFill() {
    byte[] buf = new byte[2 * BLOCK];
    long start = 5L * 1024 * 1024 * 1024 + 3;
    TestData.fill(buf, start);

    for (int i = 0; i < buf.length; i += 997) {
      assertThat(TestData.byteAt(start + i)).as("at %d", start + i).isEqualTo(buf[i]);
    }
  }

  @Test
  void repeatedBlocksDifferSoAReorderedChunkIsNoticed() {
    byte[] first = new byte[BLOCK];
    byte[] second = new byte[BLOCK];
    TestData.fill(first, 0);
    TestData.fill(second, BLOCK);

    assertThat(first).isNotEqualTo(second);
    assertThat(TestData.matches(second, 0, BLOCK, 0)).isFalse();
  }

  @Test
  void runningChecksumOverAnyChunkingEqualsChecksumOf() {
    long length = 3L * BLOCK + 12345;
    byte[] chunk = new byte[7919];
    TestData.Checksum sum = TestData.checksum();
    long done = 0;
    while (done < length) {
      int n = (int) Math.min(chunk.length, length - done);
      TestData.fill(chunk, 0, n, done);
      sum.update(chunk, 0, n);
      done += n;
    }

    assertThat(sum.length()).isEqualTo(length);
    assertThat(sum.value()).isEqualTo(TestData.checksumOf(length));
  }

  @Test
  void checksumIsCrc32cOfTheBytes() {
    byte[] bytes = new byte[1000];
    TestData.fill(bytes, 0);
    CRC32C crc = new CRC32C();
    crc.update(bytes);

    assertThat(TestData.checksumOf(1000)).isEqualTo(crc.getValue());
    assertThat(TestData.checksumOf(0)).isEqualTo(new CRC32C().getValue());
  }

  @Test
  void checksumNoticesOneChangedByte() {
    byte[] bytes = new byte[5000];
    TestData.fill(bytes, 0);
    bytes[4321] ^= 1;

    assertThat(TestData.checksum().update(bytes, 0, bytes.length).value())
        .isNotEqualTo(TestData.checksumOf(5000));
    assertThat(TestData.matches(bytes, 0, bytes.length, 0)).isFalse();
  }

  @Test
  void fillsHeapAndDirectBuffersAlike() {
    ByteBuffer heap = ByteBuffer.allocate(BLOCK + 9);
    ByteBuffer direct = ByteBuffer.allocateDirect(BLOCK + 9);

    TestData.fill(heap, 77);
    TestData.fill(direct, 77);

    assertThat(heap.hasRemaining()).isFalse();
    assertThat(direct.hasRemaining()).isFalse();
    heap.flip();
    direct.flip();
    assertThat(direct).isEqualTo(heap);
    assertThat(TestData.matches(heap.array(), 0, heap.limit(), 77)).isTrue();
  }

  @Test
  void checksumUpdatesFromBuffersAndStreams() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TestData.write(out, 100_000);
    byte[] written = out.toByteArray();

    TestData.Checksum fromStream = TestData.checksum().update(new ByteArrayInputStream(written));
    TestData.Checksum fromBuffer = TestData.checksum().update(ByteBuffer.wrap(written));

    assertThat(written).hasSize(100_000);
    assertThat(fromStream.value()).isEqualTo(TestData.checksumOf(100_000));
    assertThat(fromBuffer.value()).isEqualTo(fromStream.value());
    assertThat(fromBuffer.length()).isEqualTo(100_000);
  }

  @Test
  void rejectsNegativePositions() {
    assertThatThrownBy(() -> TestData.fill(new byte[1], -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stream offset must not be negative but was -1");
    assertThatThrownBy(() -> TestData.checksumOf(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("length must not be negative but was -5");
  }
}
