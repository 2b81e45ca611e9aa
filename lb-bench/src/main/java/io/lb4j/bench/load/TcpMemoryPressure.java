package io.lb4j.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How long the kernel has spent under TCP memory pressure, from {@code TCPMemoryPressuresChrono}
 * of {@code /proc/net/netstat} (milliseconds since boot, machine-wide).
 *
 * <p>Under pressure (all sockets together above the middle value of {@code net.ipv4.tcp_mem}) the
 * kernel shrinks buffers and drops segments, even on loopback; connections then wait in
 * retransmission back-off and throughput falls to a trickle. A run that overlaps such a period
 * measures the kernel, not the target, whoever caused the pressure: it says so.
 */
final class TcpMemoryPressure {

  private static final Path NETSTAT = Path.of("/proc/net/netstat");
  private static final String COUNTER = "TCPMemoryPressuresChrono";

  private TcpMemoryPressure() {}

  /** Returns the milliseconds spent under pressure since boot, or -1 where it cannot be read. */
  static long millisSinceBoot() {
    try {
      String[] lines = Files.readString(NETSTAT, StandardCharsets.US_ASCII).split("\n");
      // The file holds pairs of lines: "TcpExt: names..." then "TcpExt: values...".
      for (int i = 0; i + 1 < lines.length; i += 2) {
        if (!lines[i].startsWith("TcpExt:")) {
          continue;
        }
        String[] names = lines[i].trim().split("\\s+");
        String[] values = lines[i + 1].trim().split("\\s+");
        for (int j = 1; j < names.length && j < values.length; j++) {
          if (names[j].equals(COUNTER)) {
            return Long.parseLong(values[j]);
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Not Linux, or a kernel without the counter: nothing to report.
    }
    return -1;
  }
}
