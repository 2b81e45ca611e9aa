package io.lb4j.testkit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one leak listener of the JVM's ByteBuf leak detector, and what it heard. Netty reports a
 * leak only when it notices it: after the buffer was garbage-collected, the next time any thread
 * allocates a tracked buffer. {@link #nudge()} makes both happen now.
 */
final class LeakReports {

  private static final int KEPT = 64;
  private static final int ROUNDS = 2;
  private static final long GC_WAIT_MILLIS = 2_000;
  private static final int TRIGGER_ALLOCATIONS = 4;

  private static final ConcurrentLinkedQueue<String> REPORTS = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger DROPPED = new AtomicInteger();

  static {
    ByteBufUtil.setLeakListener(LeakReports::onLeak);
  }

  private LeakReports() {}

  /** Installs the listener (once, by loading this class) and turns detection to its strictest. */
  static void install() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  /** Takes every report heard so far, oldest first. */
  static List<String> drain() {
    List<String> taken = new ArrayList<>();
    String report;
    while ((report = REPORTS.poll()) != null) {
      taken.add(report);
    }
    int dropped = DROPPED.getAndSet(0);
    if (dropped > 0) {
      taken.add("(" + dropped + " more leak reports were dropped; only " + KEPT + " are kept)");
    }
    return taken;
  }

  /** Collects garbage and has Netty look at what was collected, so pending leaks get reported. */
  static void nudge() {
    for (int round = 0; round < ROUNDS; round++) {
      awaitCollection();
      for (int i = 0; i < TRIGGER_ALLOCATIONS; i++) {
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
        buffer.release();
      }
    }
  }

  // Waits until a fresh garbage cycle has run and the JDK has handed its cleared references to
  // their queues, which is how Netty's trackers of leaked buffers reach the detector.
  private static void awaitCollection() {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
    System.gc();
    try {
      queue.remove(GC_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Reference.reachabilityFence(sentinel);
    }
  }

  private static void onLeak(String resourceType, String records) {
    if (REPORTS.size() >= KEPT) {
      DROPPED.incrementAndGet();
      return;
    }
    REPORTS.add(records.isEmpty()
        ? "a " + resourceType + " was garbage-collected without release(); no record of where it"
            + " was used (leak detection was below PARANOID when it was allocated)"
        : "a " + resourceType + " was garbage-collected without release():" + records);
  }
}
