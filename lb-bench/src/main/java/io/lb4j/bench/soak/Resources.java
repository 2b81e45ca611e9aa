package io.lb4j.bench.soak;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this JVM holds at one moment: heap in use, Netty's direct memory, the default allocator's
 * pooled memory, open file descriptors and resident memory.
 *
 * @param heapUsed bytes of Java heap in use (live and not yet collected)
 * @param nettyDirect bytes of direct memory Netty allocated, by its own count; -1 if Netty does
 *     not count (it does unless {@code io.netty.maxDirectMemory} turns counting off)
 * @param allocatorDirect bytes of direct memory the default {@code ByteBufAllocator} reserved
 * @param allocatorHeap bytes of heap memory the default {@code ByteBufAllocator} reserved
 * @param descriptors open file descriptors of this process; -1 where /proc is missing
 * @param residentBytes resident set size of this process; -1 where /proc is missing
 */
public record Resources(
    long heapUsed,
    long nettyDirect,
    long allocatorDirect,
    long allocatorHeap,
    int descriptors,
    long residentBytes) {

  /** Reads every figure now. Cheap enough to call every few milliseconds; thread-safe. */
  public static Resources now() {
    long allocatorDirect = -1;
    long allocatorHeap = -1;
    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
      ByteBufAllocatorMetric metric = provider.metric();
      allocatorDirect = metric.usedDirectMemory();
      allocatorHeap = metric.usedHeapMemory();
    }
    return new Resources(
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
        PlatformDependent.usedDirectMemory(),
        allocatorDirect,
        allocatorHeap,
        openDescriptors(),
        readResidentBytes());
  }

  /** Returns the number of open file descriptors of this process, or -1 without /proc. */
  public static int openDescriptors() {
    String[] fds = new File("/proc/self/fd").list();
    // Listing the folder opens one descriptor for itself, which is closed again by now.
    return fds == null ? -1 : fds.length - 1;
  }

  private static long readResidentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          String kib = line.substring(6).trim().split("\\s+")[0];
          return Long.parseLong(kib) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Returns, figure by figure, the larger of this and {@code other}. */
  public Resources max(Resources other) {
    return new Resources(
        Math.max(heapUsed, other.heapUsed),
        Math.max(nettyDirect, other.nettyDirect),
        Math.max(allocatorDirect, other.allocatorDirect),
        Math.max(allocatorHeap, other.allocatorHeap),
        Math.max(descriptors, other.descriptors),
        Math.max(residentBytes, other.residentBytes));
  }

  /** Formats a byte count in MiB with one decimal. */
  public static String mib(long bytes) {
    return bytes < 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  @Override
  public String toString() {
    return "heap " + mib(heapUsed) + ", netty direct " + mib(nettyDirect) + ", allocator direct "
        + mib(allocatorDirect) + " heap " + mib(allocatorHeap) + ", " + descriptors
        + " descriptors, resident " + mib(residentBytes);
  }
}
