package io.lb4j.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JfrAllocations} against a real Flight Recorder recording of this JVM, in which threads
 * allocate a known number of bytes: what the parser reports must be that number, give or take
 * the little the threads allocate besides (their arrays' headers, a list, a latch's queue node).
 */
class JfrAllocationsTest {

  private static final int MIB = 1024 * 1024;
  private static final long SLACK = 256 * 1024;
  // Several samples before and after each step, however late the recorder's periodic thread is.
  private static final long PERIODS_APART_MILLIS = 500;

  @TempDir Path dir;

  /**
   * Allocates {@code before} MiB at once, {@code mib} MiB when released, all in 1 MiB arrays,
   * then waits to be let go.
   */
  private static final class Allocator extends Thread {

    final CountDownLatch ready = new CountDownLatch(1);
    final CountDownLatch go = new CountDownLatch(1);
    final CountDownLatch allocated = new CountDownLatch(1);
    final CountDownLatch end = new CountDownLatch(1);
    private final int before;
    private final int mib;
    volatile int kept;

    Allocator(String name, int before, int mib) {
      super(name);
      this.before = before;
      this.mib = mib;
      setDaemon(true);
    }

    @Override
    public void run() {
      try {
        kept = allocate(before).size();
        ready.countDown();
        go.await();
        kept += allocate(mib).size();
        allocated.countDown();
        end.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private static List<byte[]> allocate(int count) {
      List<byte[]> arrays = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        arrays.add(new byte[MIB]);
      }
      return arrays;
    }
  }

  @Test
  void bytesAThreadAllocatedInTheWindowAreWhatItAllocated() throws Exception {
    // Bytes allocated before the window are not counted: only what the window saw.
    Allocator early = new Allocator("alloc-probe-early", 16, 32);
    Allocator late = new Allocator("alloc-probe-late", 0, 8);
    early.start();
    assertThat(early.ready.await(30, TimeUnit.SECONDS)).isTrue();
    Path file = dir.resolve("allocation.jfr");
    Instant from;
    Instant to;
    try (Recording recording = new Recording()) {
      recording.enable(JfrAllocations.EVENT).withPeriod(Duration.ofMillis(50));
      recording.start();
      from = Instant.now();
      Thread.sleep(PERIODS_APART_MILLIS);
      early.go.countDown();
      assertThat(early.allocated.await(30, TimeUnit.SECONDS)).isTrue();
      // A thread that starts inside the window counts from zero.
      late.start();
      late.go.countDown();
      assertThat(late.allocated.await(30, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(PERIODS_APART_MILLIS);
      to = Instant.now();
      recording.stop();
      recording.dump(file);
    } finally {
      early.end.countDown();
      late.end.countDown();
    }
    assertThat(early.kept + late.kept).isEqualTo(56);

    JfrAllocations.Span span = JfrAllocations.read(file, from, to);

    long earlyBytes = span.bytes(List.of("alloc-probe-early"));
    long lateBytes = span.bytes(List.of("alloc-probe-late"));
    assertThat(earlyBytes).isBetween(32L * MIB, 32L * MIB + SLACK);
    assertThat(lateBytes).isBetween(8L * MIB, 8L * MIB + SLACK);
    assertThat(span.bytes(List.of("alloc-probe-"))).isEqualTo(earlyBytes + lateBytes);
    assertThat(span.bytesExcept(List.of("alloc-probe-")) + earlyBytes + lateBytes)
        .isEqualTo(span.threads().stream().mapToLong(JfrAllocations.ThreadBytes::bytes).sum());
    assertThat(span.threads().get(0).thread()).isEqualTo("alloc-probe-early");
    assertThat(span.seconds()).isPositive();
    assertThat(span.from()).isAfterOrEqualTo(from);
    assertThat(span.to()).isBeforeOrEqualTo(to);
  }

  @Test
  void aWindowWithFewerThanTwoSamplesIsAnError() throws Exception {
    Path file = dir.resolve("short.jfr");
    Instant before = Instant.now();
    try (Recording recording = new Recording()) {
      recording.enable(JfrAllocations.EVENT).withPeriod(Duration.ofMillis(50));
      recording.start();
      Thread.sleep(PERIODS_APART_MILLIS);
      recording.stop();
      recording.dump(file);
    }

    // A window that ended before the recording started holds no sample.
    assertThatThrownBy(() -> JfrAllocations.read(file, before.minusSeconds(60), before))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("0 sample(s) of jdk.ThreadAllocationStatistics");
  }
}
